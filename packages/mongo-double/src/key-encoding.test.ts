import { Decimal128, Long, ObjectId } from "bson";
import { describe, expect, it } from "vitest";
import { keyComparator, MAX, MIN, typeEnd, typeStart, type IndexKey } from "./index-order.js";
import { decodeKey, encodeKey, storedKey, storedKeyComparator } from "./key-encoding.js";
import { OrderedIndex } from "./ordered-index.js";
import { storeDoc } from "./stored-doc.js";

/** A small deterministic generator, so a failure names the same keys every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const STRINGS = [
  "",
  "a",
  "ab",
  "a\u0000",
  "a\u0001",
  "a\u0002",
  "\u0000",
  "\u00ff",
  "\u0100",
  "\uD55C",
  "\uE000",
  "\uFFFF",
  "\u{1F600}",
  "\uD800",
  "z",
];
const NUMBERS = [
  Number.NaN,
  Number.NEGATIVE_INFINITY,
  -1e300,
  -2.5,
  -1,
  -0,
  0,
  5e-324,
  1,
  1.5,
  2 ** 53,
  Number.POSITIVE_INFINITY,
];
const DATES = [new Date(-86_400_000), new Date(0), new Date(1), new Date(Date.UTC(2026, 10, 30))];
const OBJECT_IDS = [
  "000000000000000000000000",
  "000000000000000000000001",
  "0000000000ff000000000000",
  "ffffffffffffffffffffffff",
].map((hex) => ObjectId.createFromHexString(hex));
/** Values with no string form: keys holding one stay arrays. */
const OTHERS = [
  [1, 2],
  { a: 1 },
  Long.fromString("9007199254740993"),
  Decimal128.fromString("1.5"),
  new Date(Number.NaN),
];
const EDGES = [typeStart(3), typeEnd(3), typeStart(4), typeEnd(4), typeStart(10), typeEnd(14)];
const VALUES: unknown[] = [null, true, false, ...STRINGS, ...NUMBERS, ...DATES, ...OBJECT_IDS, ...OTHERS, ...EDGES];

function keys(directions: number[], count: number, seed: number): IndexKey[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return Array.from({ length: count }, () => {
    // Bounds: from some field on, edges past the bounded fields.
    const edgeFrom = next() < 0.3 ? Math.floor(next() * (directions.length + 1)) : directions.length + 1;
    const edge = next() < 0.5 ? MIN : MAX;
    const key: unknown[] = directions.map((_direction, i) => (i >= edgeFrom ? edge : pick(VALUES)));
    key.push(edgeFrom <= directions.length ? edge : pick([0, 1, 255, 256, 65_535, 2 ** 40]));
    return key;
  });
}

describe("index keys as strings", () => {
  it.each([[[1]], [[-1]], [[1, -1]], [[-1, 1, 1]]])(
    "when any two keys of an index with directions %j are compared then their stored forms order as the keys do",
    (directions) => {
      const compare = keyComparator(directions);
      const compareStored = storedKeyComparator(directions, compare);
      const all = keys(directions, 400, directions.length * 7 + directions[0]!);
      const stored = all.map((key) => storedKey(key, directions));
      expect(stored.filter((key) => typeof key === "string").length).toBeGreaterThan(100);
      expect(stored.filter((key) => typeof key !== "string").length).toBeGreaterThan(10);
      const mismatches: string[] = [];
      for (let i = 0; i < all.length; i++) {
        for (let j = 0; j < all.length; j++) {
          const expected = Math.sign(compare(all[i]!, all[j]!));
          if (Math.sign(compareStored(stored[i]!, stored[j]!)) !== expected)
            mismatches.push(`${String(all[i])} vs ${String(all[j])}: expected ${expected}`);
        }
      }
      expect(mismatches.slice(0, 5)).toEqual([]);
    },
  );

  it("when a key with a string form is read back then every component compares equal to the original", () => {
    const directions = [1, -1, 1];
    const compare = keyComparator(directions);
    for (const key of keys(directions, 500, 3)) {
      const encoded = encodeKey(key, directions);
      if (encoded === undefined) continue;
      expect(compare(decodeKey(encoded, directions), key)).toBe(0);
      expect(encodeKey(decodeKey(encoded, directions), directions)).toBe(encoded);
    }
  });

  it("when a key holds a value with no string form then it stays the key itself", () => {
    for (const value of OTHERS) expect(encodeKey([value, 0], [1])).toBeUndefined();
    expect(encodeKey(["a", -1], [1])).toBeUndefined();
  });

  it("when documents of strings, dates and ObjectIds are indexed then the tree keeps each key as one one-byte string", () => {
    const index = new OrderedIndex(
      { v: 2, name: "user_event_at", key: { userId: 1, event: 1, at: -1, _id: 1 } },
      () => [],
    );
    for (let i = 0; i < 50; i++) {
      const record = storeDoc({ _id: new ObjectId(), userId: `user-${i % 7}`, event: "pat.create", at: new Date(i) });
      index.add(record, i, index.keysOf(record, i));
    }
    const stored = [...index.snapshot().keys()];
    expect(stored).toHaveLength(50);
    for (const key of stored) {
      expect(typeof key).toBe("string");
      expect([...(key as string)].every((unit) => unit.charCodeAt(0) <= 0xff)).toBe(true);
    }
  });
});
