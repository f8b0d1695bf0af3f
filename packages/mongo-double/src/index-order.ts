import { bsonCompare, compareObjectIds, compareUtf8, typeRank } from "./sort-order.js";

/**
 * A bound between index keys rather than a key: the start (side -1) or end (side 1) of every
 * value of one BSON type rank, or of all values (ranks 0 and 99). Bounds such as `$gt: 5`
 * stop at the end of the numbers, as mongod's type-bracketed bounds do.
 */
export class Edge {
  constructor(
    readonly rank: number,
    readonly side: -1 | 1,
  ) {}
}

export const MIN = new Edge(0, -1);
export const MAX = new Edge(99, 1);
export const typeStart = (rank: number): Edge => new Edge(rank, -1);
export const typeEnd = (rank: number): Edge => new Edge(rank, 1);

const NUMBER_RANK = 3;
export const STRING_RANK = 4;
export const REGEX_RANK = 12;

/** Compares two components of index keys (values or edges) in MongoDB's order. */
export function compareComponent(a: unknown, b: unknown): number {
  // Positions, the last component of every key, are compared most often.
  if (typeof a === "number" && typeof b === "number" && !Number.isNaN(a) && !Number.isNaN(b))
    return a < b ? -1 : a > b ? 1 : 0;
  // Then strings (ids, names, hashes) and dates, which bsonCompare would order alike after working out their types.
  if (typeof a === "string" && typeof b === "string") return Math.sign(compareUtf8(a, b));
  if (a instanceof Date && b instanceof Date) return a.getTime() < b.getTime() ? -1 : a.getTime() > b.getTime() ? 1 : 0;
  // ObjectIds (most `_id`s, and keys that end in one), before the general comparison works out their types.
  if (isObjectId(a) && isObjectId(b)) return compareObjectIds(a, b);
  if (a instanceof Edge || b instanceof Edge) {
    const rankA = a instanceof Edge ? a.rank : typeRank(a);
    const rankB = b instanceof Edge ? b.rank : typeRank(b);
    if (rankA !== rankB) return rankA < rankB ? -1 : 1;
    const sideA = a instanceof Edge ? a.side : 0;
    const sideB = b instanceof Edge ? b.side : 0;
    return sideA === sideB ? 0 : sideA < sideB ? -1 : 1;
  }
  // NaN sorts before every other number in an index; a comparison that calls it equal to all would break the tree.
  if (typeof a === "number" && typeof b === "number" && (Number.isNaN(a) || Number.isNaN(b))) {
    return Number.isNaN(a) === Number.isNaN(b) ? 0 : Number.isNaN(a) ? -1 : 1;
  }
  return bsonCompare(a, b);
}

const isObjectId = (value: unknown): value is Parameters<typeof compareObjectIds>[0] =>
  value !== null && typeof value === "object" && (value as { _bsontype?: unknown })._bsontype === "ObjectId";

export const isNumberRank = (value: unknown): boolean => !(value instanceof Edge) && typeRank(value) === NUMBER_RANK;

/**
 * An index key: one component per indexed field, then the document's position in natural order,
 * which makes every entry distinct and orders equal keys. Bounds put edges where a key has values.
 */
export type IndexKey = unknown[];

/** Orders index keys by their fields (each in its index direction), then by position. */
export function keyComparator(directions: number[]): (a: IndexKey, b: IndexKey) => number {
  const fields = directions.length;
  return (a, b) => {
    for (let i = 0; i < fields; i++) {
      const x = a[i];
      const y = b[i];
      // Strings (ids, names, hashes) are most fields of most keys: compared here, without a call per field.
      if (typeof x === "string" && typeof y === "string") {
        if (x === y) continue;
        return compareUtf8(x, y) < 0 ? -directions[i]! : directions[i]!;
      }
      // The edges past a key's bounded fields are absolute, whatever the field's direction.
      const absolute = x === MIN || x === MAX || y === MIN || y === MAX;
      const order = compareComponent(x, y) * (absolute ? 1 : directions[i]!);
      if (order !== 0) return order;
    }
    const x = a[fields];
    const y = b[fields];
    // Positions, whole numbers, unless a bound puts an edge there.
    return typeof x === "number" && typeof y === "number" ? x - y : compareComponent(x, y);
  };
}
