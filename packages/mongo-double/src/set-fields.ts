import { clonePlain, isPlainObject, type Doc } from "./bson-values.js";

/**
 * A `$set` of plain paths (no positional or `$` parts) through documents only applies without
 * the query library: each value is written as given, existing fields keep their place and new
 * ones follow in the order named. Undefined when the modifier needs more (other operators,
 * paths through arrays), so the general engine applies it. Only the documents along each path are
 * copied; the rest is shared with `doc`, which, as every stored document, is never mutated.
 */
export function setPlainFields(doc: Doc, modifier: Doc): Doc | undefined {
  const operators = Object.keys(modifier);
  if (operators.length !== 1 || operators[0] !== "$set" || !isPlainObject(modifier.$set)) return undefined;
  const fields = modifier.$set;
  const paths = Object.keys(fields).map((path) => path.split("."));
  if (paths.some((parts) => parts.some((part) => part === "" || part.startsWith("$")))) return undefined;
  const result: Doc = { ...doc };
  const copied = new Set<Doc>([result]);
  for (const parts of paths) {
    let current = result;
    for (const part of parts.slice(0, -1)) {
      const next = current[part];
      if (next === undefined) current[part] = {};
      else if (!isPlainObject(next)) return undefined;
      else if (!copied.has(next)) current[part] = { ...next };
      current = current[part] as Doc;
      copied.add(current);
    }
    current[parts[parts.length - 1]!] = clonePlain(fields[parts.join(".")]);
  }
  return result;
}
