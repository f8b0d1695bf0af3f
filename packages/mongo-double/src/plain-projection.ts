import { isNumeric, setField, toNumber, type Doc } from "./bson-values.js";

/** A projection that keeps or drops whole top-level fields; `key` is the same for every projection that keeps the same. */
export interface PlainProjection {
  key: string;
  apply(doc: Doc): Doc;
}

/**
 * A find projection that only includes or only excludes top-level fields (`_id` either way)
 * applies without the query library: the fields kept stay in the stored document's order, as
 * mongod returns them. Undefined for anything else (paths, operators, expressions, a mix), which
 * the general engine handles or refuses as mongod does.
 */
export function plainProjection(projection: Doc): PlainProjection | undefined {
  let keepId = true;
  let mode: "include" | "exclude" | undefined;
  const fields = new Set<string>();
  for (const [field, value] of Object.entries(projection)) {
    if (field === "" || field.startsWith("$") || field.includes(".")) return undefined;
    if (typeof value !== "boolean" && !isNumeric(value)) return undefined;
    const included = typeof value === "boolean" ? value : toNumber(value) !== 0;
    if (field === "_id") {
      keepId = included;
      continue;
    }
    const fieldMode = included ? "include" : "exclude";
    if (mode !== undefined && mode !== fieldMode) return undefined;
    mode = fieldMode;
    fields.add(field);
  }
  // With only `_id` named, excluding it keeps every other field and including it keeps it alone.
  const keep = (field: string): boolean =>
    field === "_id" ? keepId : mode === undefined ? !keepId : (mode === "include") === fields.has(field);
  return {
    key: JSON.stringify([keepId, mode ?? null, [...fields].sort()]),
    apply: (doc) => {
      const out: Doc = {};
      for (const field of Object.keys(doc)) if (keep(field)) setField(out, field, doc[field]);
      return out;
    },
  };
}

/** `plainProjection` applied to documents; undefined when the projection is not a plain one. */
export function projectPlainFields(docs: Doc[], projection: Doc): Doc[] | undefined {
  const plain = plainProjection(projection);
  return plain && docs.map(plain.apply);
}
