// A few lines of DOM building instead of a framework: the console is a
// handful of forms and tables, and text always goes in as text (never HTML).

type Child = Node | string | number | false | null | undefined;
type Attrs = Record<string, string | boolean | number | undefined | ((event: Event) => void)>;

/** Creates an element; `on…` attributes become listeners, booleans toggle attributes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

let nextId = 0;

/** A labelled control: the label names the field for screen readers and for errors shown beside it. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  name?: string,
): HTMLElement {
  control.id ||= `f${nextId++}`;
  if (name !== undefined) control.name = name;
  return h(
    "div",
    { class: "field", "data-field": control.name || undefined },
    h("label", { for: control.id }, label),
    control,
    h("span", { class: "field-error", role: "alert" }),
  );
}

/** A one-line form: its fields side by side, then its submit button. */
/** Fields side by side on one line. */
export function row(...children: Child[]): HTMLDivElement {
  return h("div", { class: "row" }, ...children);
}

export function rowForm(submitLabel: string, ...fields: HTMLElement[]): HTMLFormElement {
  return h("form", { class: "row" }, ...fields, h("button", { type: "submit" }, submitLabel));
}

export function select(options: readonly (readonly [string, string])[], value = ""): HTMLSelectElement {
  const el = h("select");
  for (const [v, text] of options) el.append(h("option", { value: v, selected: v === value }, text));
  return el;
}

export function formatTime(ts: { seconds: bigint; nanos: number } | undefined): string {
  if (ts === undefined) return "—";
  return new Date(Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6))
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
}

/** Announces a short message to assistive technology and shows it in the page's status line. */
export function announce(message: string): void {
  const status = document.getElementById("status");
  if (status !== null) status.textContent = message;
}
