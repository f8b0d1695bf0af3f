// Compares what a README command printed with the output the README shows.
//
// In a JSON output, "…" stands for any value (a time, a signature) and "$NAME"
// for this run's own value: the first occurrence binds NAME, later ones must
// equal it, and later commands see it as the shell variable $NAME. A text
// output is an excerpt: its lines appear in the real output in that order,
// and a line "…" stands for the lines left out.

export type Bindings = Record<string, string>;

const variable = /^\$([A-Z][A-Z0-9_]*)$/;

/** Differences between `expected` and `actual`, each naming its JSON path; binds variables as it goes. */
export function compareJson(expected: unknown, actual: unknown, bindings: Bindings, path = "$"): string[] {
  if (expected === "…") return actual === undefined ? [`${path}: missing`] : [];
  if (typeof expected === "string" && variable.test(expected)) {
    const name = variable.exec(expected)?.[1] ?? "";
    if (typeof actual !== "string") return [`${path}: expected a string for $${name}, got ${JSON.stringify(actual)}`];
    if (name in bindings)
      return bindings[name] === actual
        ? []
        : [`${path}: expected $${name} = ${JSON.stringify(bindings[name])}, got ${JSON.stringify(actual)}`];
    bindings[name] = actual;
    return [];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${JSON.stringify(actual)}`];
    if (expected.length !== actual.length)
      return [`${path}: expected ${expected.length} entries, got ${actual.length}`];
    return expected.flatMap((item, i) => compareJson(item, actual[i], bindings, `${path}[${i}]`));
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual))
      return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    return [...keys].flatMap((key) => {
      if (!(key in expected)) return [`${path}.${key}: not in the README`];
      return compareJson(
        (expected as Record<string, unknown>)[key],
        (actual as Record<string, unknown>)[key],
        bindings,
        `${path}.${key}`,
      );
    });
  }
  return expected === actual ? [] : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

/** The expected lines missing from `actual`, in order (surrounding whitespace ignored). */
export function missingLines(expected: string, actual: string): string[] {
  const lines = actual.split("\n").map((line) => line.trim());
  let at = 0;
  const missing: string[] = [];
  for (const line of expected.split("\n").map((l) => l.trim())) {
    if (line === "" || line === "…") continue;
    const found = lines.indexOf(line, at);
    if (found === -1) missing.push(line);
    else at = found + 1;
  }
  return missing;
}
