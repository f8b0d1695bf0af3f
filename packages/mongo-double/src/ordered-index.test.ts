import { describe, expect, it, vi } from "vitest";
import { Collection } from "./collection.js";
import { canonicalKey } from "./index-key.js";
import { MIN, type IndexKey } from "./index-order.js";
import { normalizeIndexSpec } from "./index-spec.js";
import { decodeKey, type StoredKey } from "./key-encoding.js";
import { OrderedIndex } from "./ordered-index.js";
import { storeDoc } from "./stored-doc.js";

const asKey = (key: StoredKey): IndexKey => (typeof key === "string" ? decodeKey(key, [1]) : key);
const keysInOrder = (index: OrderedIndex) => [...index.snapshot().keys()].map((key) => asKey(key)[0]);
const keysFrom = (index: OrderedIndex, bound: IndexKey) =>
  [...index.snapshot().keys(index.stored(bound))].map((key) => asKey(key)[0]);

function indexOf(values: string[]): OrderedIndex {
  const index = new OrderedIndex({ v: 2, name: "s_1", key: { s: 1 } }, () => []);
  values.forEach((s, i) => {
    const record = storeDoc({ _id: i, s });
    index.add(record, i, index.keysOf(record, i));
  });
  return index;
}

describe("OrderedIndex string order", () => {
  it("when strings at or above U+E000 and emoji join an index of plain strings then all stay in UTF-8 byte order", () => {
    // UTF-16 code units would put the emoji (a surrogate pair, 0xD83D…) before U+E000 and U+FFFD.
    const index = indexOf(["m", "a", "z", "\uE000", "\u{1F600}", "\uFFFD", "\uD55C", "b"]);
    expect(keysInOrder(index)).toEqual(["a", "b", "m", "z", "\uD55C", "\uE000", "\uFFFD", "\u{1F600}"]);
  });

  it("when an index of plain strings is read from a bound past U+D800 then the read starts where UTF-8 order puts it", () => {
    const index = indexOf(["a", "z", "b"]);
    expect(keysFrom(index, [String.fromCodePoint(0x1f600), MIN])).toEqual([]);
    expect(keysFrom(index, ["\uE000", MIN])).toEqual([]);
    expect(keysFrom(index, ["c", MIN])).toEqual(["z"]);
  });
});

describe("OrderedIndex writes between reads", () => {
  const spec = normalizeIndexSpec({ key: { g: 1, v: -1 }, name: "g_v" });
  const indexIn = (collection: Collection) => collection.orderedIndexes().find((index) => index.spec.name === "g_v")!;
  /** Every entry as a read sees it: the key, and the document it leads to. */
  const entries = (index: OrderedIndex) => [...index.snapshot().entries()].map(([key, record]) => [key, record.doc]);

  it("when documents are inserted and removed between two reads then the tree is never written", () => {
    const collection = new Collection("db", "outbox");
    collection.createIndex(spec);
    const index = indexIn(collection);
    for (let i = 0; i < 10; i++) collection.insert({ _id: `kept${i}`, g: "a", v: i });
    const tree = Object.getPrototypeOf(index.snapshot()) as { set(): unknown; delete(): unknown };
    const sets = vi.spyOn(tree, "set");
    const deletes = vi.spyOn(tree, "delete");
    try {
      for (let i = 0; i < 2_000; i++) collection.remove(collection.insert({ _id: `sent${i}`, g: "a", v: i }));
      expect(entries(index).map(([, doc]) => (doc as { _id: string })._id)).toEqual(
        Array.from({ length: 10 }, (_, i) => `kept${9 - i}`),
      );
      expect(sets).not.toHaveBeenCalled();
      expect(deletes).not.toHaveBeenCalled();
    } finally {
      sets.mockRestore();
      deletes.mockRestore();
    }
  });

  it("when writes of every kind come between reads then each read sees what an index built afresh holds", () => {
    let seed = 7;
    // xorshift32: a fixed sequence, so a failure shows again on the next run.
    const random = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    // Strings and numbers have a string form; a document or a Long key stays an array in the tree.
    const values = [() => random(50), () => `s${random(50)}`, () => ({ x: random(3) }), () => [random(5), random(5)]];
    const value = () => values[random(values.length)]!();
    const collection = new Collection("db", "mixed");
    collection.createIndex(spec);
    const index = indexIn(collection);
    const live: number[] = [];
    let next = 0;
    // Stretches longer than the pending writes an index holds before it applies them itself.
    for (const writes of [0, 1, 5, 40, 300, 5_000, 3, 9_000, 17]) {
      for (let w = 0; w < writes; w++) {
        const at = random(Math.max(live.length, 1));
        const pick = live.length === 0 ? undefined : collection.byId(canonicalKey(live[at]!))!;
        const op = pick === undefined ? 0 : random(4);
        if (op <= 1) {
          collection.insert({ _id: next, g: `g${random(4)}`, v: value() });
          live.push(next++);
        } else if (op === 2) {
          collection.remove(pick!);
          live[at] = live[live.length - 1]!;
          live.pop();
        } else
          collection.replace(pick!, { ...pick!.doc, ...(random(2) === 0 ? { v: value() } : { other: random(9) }) });
      }
      const afresh = new OrderedIndex(spec, () => collection.all().map((record) => [record, record.position!]));
      expect(entries(index)).toEqual(entries(afresh));
    }
  });
});
