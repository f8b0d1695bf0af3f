import { clonePlain, isPlainObject, ownField, setField, type Doc } from "./bson-values.js";

/**
 * A `$set` of plain paths (no positional or `$` parts) through documents, with or without an
 * `$unset` of top-level fields, only applies without the query library: each value is written as
 * given, existing fields keep their place and new ones follow in the order named, unset ones go (a
 * field the document lacks is no change). Undefined when the modifier needs more (other operators,
 * paths through arrays, dotted `$unset` paths, which meet arrays differently), so the general engine
 * applies it. Paths of the two that conflict are refused before this (see checkModifier). Only the
 * documents along each path are copied; the rest is shared with `doc`, which, as every stored
 * document, is never mutated.
 */
export function setPlainFields(doc: Doc, modifier: Doc): Doc | undefined {
  const { $set: fields = {}, $unset: unset = {}, ...others } = modifier;
  if (Object.keys(others).length > 0 || !isPlainObject(fields) || !isPlainObject(unset)) return undefined;
  const names = Object.keys(unset);
  const paths = Object.keys(fields).map((path) => path.split("."));
  if (paths.length + names.length === 0) return undefined;
  if (names.some((name) => name === "" || name.includes(".") || name.startsWith("$"))) return undefined;
  if (paths.some((parts) => parts.some((part) => part === "" || part.startsWith("$")))) return undefined;
  const result: Doc = { ...doc };
  for (const name of names) delete result[name];
  const copied = new Set<Doc>([result]);
  for (const parts of paths) {
    let current = result;
    for (const part of parts.slice(0, -1)) {
      const next = ownField(current, part);
      if (next === undefined) setField(current, part, {});
      else if (!isPlainObject(next)) return undefined;
      else if (!copied.has(next)) setField(current, part, { ...next });
      current = current[part] as Doc;
      copied.add(current);
    }
    setField(current, parts[parts.length - 1]!, clonePlain(fields[parts.join(".")]));
  }
  return result;
}
