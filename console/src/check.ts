// The check form: was this allowed at that office on that date, as known then? One answer per
// item, with the candidates when the date lies in a change's window, and the rules and sources
// behind each.
import { ledger, problem, type Problem } from "./api";
import { byId, h } from "./dom";
import {
  Basis,
  Channel,
  Direction,
  Traveller,
  Verdict,
  type CheckResponse,
  type ItemResult,
  type Outcome,
  type Ruling,
} from "./gen/ledger/v1/ledger_pb";
import { badge, facts, problemBox, sourceList } from "./parts";
import {
  admissibleText,
  effectiveText,
  enforcementText,
  inspectionText,
  kindText,
  measureText,
  scopeText,
  shout,
  word,
} from "./words";

/** The seed story's question: a worker's rice cooker leaving Dandong. */
const DEFAULTS = {
  office: "CN-DANDONG",
  at: "2025-03-20",
  direction: Direction.OUTBOUND,
  channel: Channel.PERSONAL_BAGGAGE,
  traveller: Traveller.WORKER,
  goods: "8516.60",
  quantity: "1",
};

function options(select: HTMLSelectElement, names: Record<string, string | number>, chosen: number): void {
  for (const [name, value] of Object.entries(names)) {
    if (typeof value !== "number" || value === 0) continue;
    const option = h("option", { value }, name.toLowerCase().replace(/_/g, " "));
    option.selected = value === chosen;
    select.append(option);
  }
}

let rows = 0;

function itemRow(goods = "", quantity = "1"): HTMLElement {
  rows += 1;
  const n = rows;
  const field = (name: string, label: string, attributes: Record<string, string | number | boolean>) =>
    h(
      "div",
      { class: `field ${name}` },
      h("label", { for: `item-${name}-${n}` }, label),
      h("input", { name, id: `item-${name}-${n}`, autocomplete: "off", ...attributes }),
    );
  const row = h(
    "div",
    { class: "item-row", role: "group", "aria-label": "Item" },
    field("goods", "Goods", { required: true, placeholder: "8516.60 or electronics", value: goods, "aria-describedby": "goods-help" }),
    field("quantity", "Quantity", { type: "number", min: 0, step: 1, inputmode: "numeric", value: quantity }),
    field("value", "Value (optional)", { inputmode: "decimal", placeholder: "500.00" }),
    field("currency", "Currency", { maxlength: 3, placeholder: "CNY", autocapitalize: "characters" }),
  );
  const remove = h("button", { type: "button", class: "remove-item secondary" }, "Remove");
  remove.addEventListener("click", () => {
    const list = row.parentElement;
    row.remove();
    renumber(list);
  });
  row.append(remove);
  return row;
}

function renumber(list: HTMLElement | null): void {
  if (!list) return;
  const all = [...list.querySelectorAll<HTMLElement>(".item-row")];
  all.forEach((row, index) => {
    row.setAttribute("aria-label", `Item ${index + 1}`);
    const remove = row.querySelector<HTMLButtonElement>(".remove-item")!;
    remove.setAttribute("aria-label", `Remove item ${index + 1}`);
    remove.disabled = all.length === 1;
  });
}

export class CheckForm {
  private form = byId<HTMLFormElement>("check-form");
  private office = byId<HTMLSelectElement>("check-office");
  private items = byId("check-items");
  private results = byId("check-results");
  private status = byId("check-status");
  private asking: AbortController | null = null;

  constructor(private onProblem: (problem: Problem) => boolean) {
    byId<HTMLInputElement>("check-at").value = DEFAULTS.at;
    options(byId<HTMLSelectElement>("check-direction"), Direction, DEFAULTS.direction);
    options(byId<HTMLSelectElement>("check-channel"), Channel, DEFAULTS.channel);
    options(byId<HTMLSelectElement>("check-traveller"), Traveller, DEFAULTS.traveller);
    this.items.append(itemRow(DEFAULTS.goods, DEFAULTS.quantity));
    renumber(this.items);
    byId("add-item").addEventListener("click", () => {
      const row = itemRow();
      this.items.append(row);
      renumber(this.items);
      row.querySelector("input")?.focus();
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.ask();
    });
  }

  /** The offices to choose from (the seed story's office chosen when it is there). */
  setOffices(codes: { code: string; name: string }[], chosen = ""): void {
    const keep = chosen || this.office.value || DEFAULTS.office;
    this.office.replaceChildren(
      ...codes.map(({ code, name }) => {
        const option = h("option", { value: code }, `${code} — ${name}`);
        option.selected = code === keep;
        return option;
      }),
    );
  }

  choose(office: string): void {
    this.office.value = office;
  }

  private request() {
    const value = (id: string) => byId<HTMLInputElement | HTMLSelectElement>(id).value.trim();
    const basis = this.form.querySelector<HTMLInputElement>("input[name=basis]:checked")?.value;
    return {
      office: value("check-office"),
      at: value("check-at"),
      knownAt: value("check-known-at"),
      basis: basis === "reported" ? Basis.REPORTED : Basis.RECORDED,
      direction: Number(value("check-direction")) as Direction,
      channel: Number(value("check-channel")) as Channel,
      traveller: Number(value("check-traveller")) as Traveller,
      items: [...this.items.querySelectorAll<HTMLElement>(".item-row")].map((row) => {
        const field = (name: string) => row.querySelector<HTMLInputElement>(`input[name=${name}]`)!.value.trim();
        const quantity = field("quantity");
        return {
          goods: field("goods"),
          quantity: /^\d+$/.test(quantity) ? BigInt(quantity) : undefined,
          value: field("value"),
          currency: field("currency").toUpperCase(),
        };
      }),
    };
  }

  async ask(): Promise<void> {
    this.asking?.abort();
    const asking = new AbortController();
    this.asking = asking;
    for (const marked of this.form.querySelectorAll("[aria-invalid]")) {
      marked.removeAttribute("aria-invalid");
      const described = (marked.getAttribute("aria-describedby") ?? "").replace("check-problem", "").trim();
      if (described) marked.setAttribute("aria-describedby", described);
      else marked.removeAttribute("aria-describedby");
    }
    const request = this.request();
    const button = this.form.querySelector<HTMLButtonElement>("button[type=submit]")!;
    button.disabled = true;
    this.status.textContent = "Checking…";
    this.results.setAttribute("aria-busy", "true");
    try {
      const answer = await ledger.check(request, { signal: asking.signal });
      if (asking.signal.aborted) return;
      this.results.replaceChildren(...this.answer(answer, request));
      this.status.textContent = `Answered: ${answer.items.map((item) => shout(Verdict, item.verdict)).join(", ")}.`;
    } catch (error) {
      if (asking.signal.aborted) return;
      const refused = problem(error);
      this.status.textContent = "The check was refused.";
      const box = problemBox(refused, "The check was refused");
      box.id = "check-problem";
      this.results.replaceChildren(box);
      this.markField(refused.message);
      this.onProblem(refused);
    } finally {
      if (this.asking === asking) {
        button.disabled = false;
        this.results.removeAttribute("aria-busy");
      }
    }
  }

  /** Marks the field a refusal names first ("items[0].goods: ...", "at: ...") as invalid. */
  private markField(message: string): void {
    const named = /^([a-z_]+)(?:\[(\d+)\])?(?:\.([a-z_]+))?:/.exec(message);
    if (!named) return;
    const [, field, index, inner] = named;
    let input: HTMLElement | null = null;
    if (field === "items" && index !== undefined) {
      const row = this.items.querySelectorAll<HTMLElement>(".item-row")[Number(index)];
      input = row?.querySelector<HTMLElement>(`input[name=${inner ?? "goods"}]`) ?? null;
    } else {
      const ids: Record<string, string> = {
        office: "check-office",
        at: "check-at",
        known_at: "check-known-at",
        direction: "check-direction",
        channel: "check-channel",
        traveller: "check-traveller",
      };
      input = ids[field] ? document.getElementById(ids[field]) : null;
    }
    if (!input) return;
    input.setAttribute("aria-invalid", "true");
    const described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", described ? `${described} check-problem` : "check-problem");
  }

  private answer(answer: CheckResponse, asked: ReturnType<CheckForm["request"]>): HTMLElement[] {
    const knowledge = asked.knownAt
      ? `as known at ${asked.knownAt} (${asked.basis === Basis.REPORTED ? "reported" : "recorded"} basis)`
      : "as known now";
    const summary = h(
      "p",
      { class: "summary" },
      `${answer.office} on ${asked.at}, ${word(Direction, asked.direction)} · ${word(Channel, asked.channel)} · ${word(Traveller, asked.traveller)}, ${knowledge}.`,
    );
    return [summary, ...answer.items.map((item, index) => itemCard(item, index))];
  }
}

function verdictBadge(verdict: Verdict): HTMLElement {
  return badge(shout(Verdict, verdict), shout(Verdict, verdict));
}

function itemCard(result: ItemResult, index: number): HTMLElement {
  const item = result.item;
  const title = `${item?.goods ?? "?"} × ${item?.quantity ?? 1n}${item?.value ? `, worth ${item.value} ${item.currency}` : ""}`;
  const card = h(
    "article",
    {
      class: "item-result",
      "data-verdict": Verdict[result.verdict] ?? String(result.verdict),
      "data-goods": item?.goods ?? "",
      "aria-labelledby": `item-result-${index}`,
    },
    h("h3", { id: `item-result-${index}` }, h("span", { class: "item-title" }, title), " ", verdictBadge(result.verdict)),
  );
  if (result.verdict === Verdict.UNCERTAIN) {
    const governing = result.governing;
    card.append(
      h(
        "p",
        { class: "explain" },
        "The date lies in the effective window of a change",
        governing ? ` (${kindText(governing.kind)}, ${effectiveText(governing.effective)}: ${measureText(governing.measure)})` : "",
        ", which may or may not have taken effect by then. Both answers:",
      ),
    );
    const names = ["Not yet in force", "In force"];
    card.append(
      h(
        "ol",
        { class: "candidates" },
        ...result.candidates.map((outcome, at) =>
          h(
            "li",
            { class: "candidate", "data-verdict": Verdict[outcome.verdict] ?? "" },
            h("h4", {}, `${names[at] ?? `Candidate ${at + 1}`}: `, verdictBadge(outcome.verdict)),
            outcomeBody(outcome),
          ),
        ),
      ),
    );
    return card;
  }
  const outcome = result.candidates[0];
  card.append(
    facts([
      ["Why", outcome?.reason || null],
      [
        "Admissibility",
        outcome?.admissibility && admissibleText(outcome.admissibility) !== outcome.reason
          ? admissibleText(outcome.admissibility)
          : null,
      ],
      ["Inspection", inspectionText(result.inspection)],
      ["Enforcement", enforcementText(result.enforcement)],
    ]),
  );
  card.append(h("h4", {}, "The rules and sources behind it"), rulings(outcome?.rulings ?? []));
  return card;
}

function outcomeBody(outcome: Outcome): HTMLElement {
  return h(
    "div",
    { class: "outcome" },
    facts([
      ["Why", outcome.reason || null],
      [
        "Admissibility",
        !outcome.admissibility
          ? "not stated"
          : admissibleText(outcome.admissibility) === outcome.reason
            ? null
            : admissibleText(outcome.admissibility),
      ],
      ["Inspection", inspectionText(outcome.inspection)],
      ["Enforcement", enforcementText(outcome.enforcement)],
    ]),
    rulings(outcome.rulings),
  );
}

/** The changes behind an answer, one entry per change with the dimensions it decides. */
function rulings(list: Ruling[]): HTMLElement {
  if (list.length === 0) return h("p", { class: "muted" }, "No recorded rule states this.");
  const byChange = new Map<string, { ruling: Ruling; dimensions: string[] }>();
  for (const ruling of list) {
    const entry = byChange.get(ruling.changeId);
    if (entry) entry.dimensions.push(ruling.dimension);
    else byChange.set(ruling.changeId, { ruling, dimensions: [ruling.dimension] });
  }
  return h(
    "ul",
    { class: "rulings" },
    ...[...byChange.values()].map(({ ruling, dimensions }) =>
      h(
        "li",
        { class: "ruling", "data-change": ruling.changeId },
        h(
          "p",
          {},
          h("strong", {}, dimensions.join(", ")),
          `: ${kindText(ruling.kind)} ${effectiveText(ruling.effective)} — ${measureText(ruling.measure)}`,
        ),
        h("p", { class: "muted small" }, `for ${scopeText(ruling.scope)}; change `, h("code", {}, ruling.changeId)),
        sourceList(ruling.sources),
      ),
    ),
  );
}
