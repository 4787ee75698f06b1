// Pieces several sections show: a refusal, a list of sources, a definition list.
import { h, link } from "./dom";
import type { Problem } from "./api";
import { gradeMeaning } from "./words";

/** A refusal in words: what it means, the status's name, and the server's message. */
export function problemBox(problem: Problem, what: string): HTMLElement {
  return h(
    "div",
    { class: "problem", role: "alert", "data-code": problem.name },
    h("p", { class: "problem-title" }, h("strong", {}, `${what}: ${problem.meaning}`)),
    problem.message ? h("p", { class: "problem-message" }, problem.message) : null,
    h("p", { class: "problem-code" }, "Status: ", h("code", {}, problem.name)),
  );
}

export interface SourceLike {
  publisher: string;
  url?: string | null;
  reference?: string | null;
  published: string;
  grade: string;
  language?: string | null;
}

/** Sources, each with its publisher, date and grade, and a link or its reference in words. */
export function sourceList(sources: readonly SourceLike[], empty = "no source cited"): HTMLElement {
  if (sources.length === 0) return h("p", { class: "muted" }, empty);
  return h(
    "ul",
    { class: "sources" },
    ...sources.map((source) =>
      h(
        "li",
        { class: "source" },
        h("span", { class: "publisher" }, source.publisher),
        " ",
        h("span", { class: "published" }, source.published),
        " ",
        h(
          "abbr",
          { class: "grade", title: `grade ${source.grade}: ${gradeMeaning(source.grade)}` },
          source.grade,
        ),
        source.language && source.language !== "en" ? ` (${source.language})` : null,
        source.url ? h("span", { class: "where" }, link(source.url)) : null,
        source.reference ? h("q", { class: "where reference" }, source.reference) : null,
      ),
    ),
  );
}

/** A definition list of label → value pairs (values left out when null). */
export function facts(pairs: [string, Node | string | null][], extra: Record<string, string> = {}): HTMLElement {
  const list = h("dl", { class: "facts", ...extra });
  for (const [label, value] of pairs) {
    if (value === null) continue;
    list.append(h("dt", {}, label), h("dd", {}, value));
  }
  return list;
}

/** A short badge: "tightened", "PROHIBITED". */
export function badge(text: string, kind: string): HTMLElement {
  return h("span", { class: `badge badge-${kind.toLowerCase().replace(/[^a-z]+/g, "-")}` }, text);
}
