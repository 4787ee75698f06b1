// The ledger's values in words, as the CLI says them: "at most 2; light inspection",
// "2025-03-01..2025-03-10 (early month)", "Daily NK 2025-03-19 B2".
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import {
  AdmissibilityKind,
  ChangeKind,
  Enforcement,
  Inspection,
  Precision,
  type Admissibility,
  type EffectiveDate,
  type Measure,
  type Scope,
  type Source,
  Channel,
  Direction,
  Traveller,
} from "./gen/ledger/v1/ledger_pb";

/** An enum value's name in lower-case words: Channel.PERSONAL_BAGGAGE → "personal baggage". */
export function word(names: Record<number, string>, value: number): string {
  const name = names[value];
  return name === undefined ? `#${value}` : name.toLowerCase().replace(/_/g, " ");
}

/** An enum value's name as the ledger shouts a verdict: "LIMIT EXCEEDED". */
export function shout(names: Record<number, string>, value: number): string {
  const name = names[value];
  return name === undefined ? `#${value}` : name.replace(/_/g, " ");
}

export function scopeText(scope: Scope | undefined): string {
  if (!scope) return "-";
  return [
    word(Direction, scope.direction),
    word(Channel, scope.channel),
    scope.traveller ? word(Traveller, scope.traveller) : "any",
    scope.goods,
  ].join(" · ");
}

export function admissibleText(admissibility: Admissibility): string {
  switch (admissibility.kind) {
    case AdmissibilityKind.PROHIBITED:
      return "prohibited";
    case AdmissibilityKind.QUANTITY_LIMIT:
      return `at most ${admissibility.quantity ?? 0n}`;
    case AdmissibilityKind.VALUE_LIMIT:
      return `at most ${admissibility.amount} ${admissibility.currency}`;
    case AdmissibilityKind.ALLOWED:
      return "allowed";
    default:
      return "-";
  }
}

export function inspectionText(inspection: Inspection): string {
  if (!inspection) return "not stated";
  return inspection === Inspection.NONE ? "no inspection" : `${word(Inspection, inspection)} inspection`;
}

export function enforcementText(enforcement: Enforcement): string {
  if (!enforcement) return "not stated";
  return enforcement === Enforcement.NONE ? "no enforcement" : word(Enforcement, enforcement);
}

/** What a measure states: "prohibited; thorough inspection; confiscation". */
export function measureText(measure: Measure | undefined): string {
  if (!measure) return "-";
  const parts: string[] = [];
  if (measure.admissibility) parts.push(admissibleText(measure.admissibility));
  if (measure.inspection) parts.push(inspectionText(measure.inspection));
  if (measure.enforcement) parts.push(enforcementText(measure.enforcement));
  return parts.join("; ") || "-";
}

// The same from an event's stored JSON, where values are the ledger's own words
// ("quantity-limit", "personal-baggage").
export interface StoredMeasure {
  admissibility?: { kind?: string; quantity?: number | null; amount?: string | null; currency?: string | null } | null;
  inspection?: string | null;
  enforcement?: string | null;
}

export function storedMeasureText(measure: StoredMeasure | null | undefined, clear: string[] = []): string {
  const parts: string[] = [];
  const admissibility = measure?.admissibility;
  if (admissibility?.kind) {
    const kind = admissibility.kind;
    parts.push(
      kind === "quantity-limit"
        ? `at most ${admissibility.quantity ?? 0}`
        : kind === "value-limit"
          ? `at most ${admissibility.amount ?? ""} ${admissibility.currency ?? ""}`.trim()
          : kind.replace(/-/g, " "),
    );
  }
  if (measure?.inspection) {
    parts.push(measure.inspection === "none" ? "no inspection" : `${measure.inspection} inspection`);
  }
  if (measure?.enforcement) {
    parts.push(measure.enforcement === "none" ? "no enforcement" : measure.enforcement);
  }
  for (const dimension of clear) parts.push(`clears ${dimension}`);
  return parts.join("; ") || "-";
}

export interface StoredScope {
  direction?: string;
  channel?: string;
  traveller?: string;
  goods?: string;
}

export function storedScopeText(scope: StoredScope | null | undefined): string {
  if (!scope) return "-";
  return [scope.direction, scope.channel, scope.traveller || "any", scope.goods]
    .map((part) => (part ?? "-").replace(/-/g, " "))
    .join(" · ");
}

// Valid time: a date and its precision make a closed window.

function iso(year: number, month: number, day: number): string {
  return new Date(Date.UTC(year, month, day)).toISOString().slice(0, 10);
}

/** The first and last day of the window a date "on" to a precision stands for. */
export function windowOf(on: string, precision: string): [string, string] {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(on);
  if (!match) return [on, on];
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  switch (precision) {
    case "early-month":
      return [iso(year, month, 1), iso(year, month, 10)];
    case "mid-month":
      return [iso(year, month, 11), iso(year, month, 20)];
    case "late-month":
      return [iso(year, month, 21), iso(year, month, last)];
    case "month":
      return [iso(year, month, 1), iso(year, month, last)];
    case "quarter": {
      const first = month - (month % 3);
      return [iso(year, first, 1), iso(year, first + 3, 0)];
    }
    case "year":
      return [iso(year, 0, 1), iso(year, 11, 31)];
    default:
      return [on, on];
  }
}

/** "2025-03-01..2025-03-10 (early month)", or one day. */
export function windowText(start: string, end: string, precision = ""): string {
  if (start === end) return start;
  return `${start}..${end}${precision && precision !== "day" ? ` (${precision.replace(/-/g, " ")})` : ""}`;
}

export function precisionName(precision: Precision): string {
  return (Precision[precision] ?? "DAY").toLowerCase().replace(/_/g, "-");
}

export function effectiveText(effective: EffectiveDate | undefined): string {
  if (!effective || !effective.on) return "-";
  const precision = precisionName(effective.precision || Precision.DAY);
  const [start, end] = windowOf(effective.on, precision);
  return windowText(start, end, precision);
}

export function kindText(kind: ChangeKind): string {
  return word(ChangeKind, kind);
}

/** An event type in words: PolicyTightened → "tightened". */
export function eventWord(type: string): string {
  const words: Record<string, string> = {
    OfficeRegistered: "registered",
    PolicyObserved: "observed",
    PolicyTightened: "tightened",
    PolicyLoosened: "loosened",
    ChangeAmended: "amended",
    ChangeRetracted: "retracted",
  };
  return words[type] ?? type;
}

/** "2025-03-19 14:02 UTC". */
export function timeText(timestamp: Timestamp | undefined): string {
  if (!timestamp) return "-";
  const text = timestampDate(timestamp).toISOString();
  return `${text.slice(0, 10)} ${text.slice(11, 16)} UTC`;
}

export function dayOf(timestamp: Timestamp | undefined): string {
  return timestamp ? timestampDate(timestamp).toISOString().slice(0, 10) : "";
}

// The Admiralty code: A-F, how reliable the source; 1-6, how credible the information.
const RELIABILITY: Record<string, string> = {
  A: "completely reliable source",
  B: "usually reliable source",
  C: "fairly reliable source",
  D: "not usually reliable source",
  E: "unreliable source",
  F: "source whose reliability cannot be judged",
};
const CREDIBILITY: Record<string, string> = {
  "1": "confirmed by other sources",
  "2": "probably true",
  "3": "possibly true",
  "4": "doubtful",
  "5": "improbable",
  "6": "truth cannot be judged",
};

export function gradeMeaning(grade: string): string {
  const reliability = RELIABILITY[grade.charAt(0).toUpperCase()];
  const credibility = CREDIBILITY[grade.charAt(1)];
  return reliability && credibility ? `${reliability}; information ${credibility}` : grade;
}

/** "Daily NK 2025-03-19 B2": who, when, how reliable. */
export function sourceText(source: Pick<Source, "publisher" | "published" | "grade">): string {
  return [source.publisher, source.published, source.grade].filter(Boolean).join(" ");
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}
