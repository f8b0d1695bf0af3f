/**
 * Indexes over optional string keys (identifiers, reset code hashes, request ids) are partial on
 * strings, so that the documents without a key neither collide nor take up room in the index.
 */
export const whenString = (field: string) => ({ [field]: { $type: "string" as const } });

/**
 * The condition that looks `value` up through an index `whenString` made. MongoDB reads a partial
 * index only for a query that states the index's filter: it does not infer `$type: "string"` from
 * a string looked up, and scans the whole collection instead.
 */
export const stringKey = (value: string) => ({ $eq: value, $type: "string" as const });

/** The condition that looks several values up at once through such an index. */
export const stringKeys = (values: readonly string[]) => ({ $in: [...values], $type: "string" as const });
