import { describe, expect, it } from "vitest";
import { MIN, type IndexKey } from "./index-order.js";
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
    index.add(record, index.keysOf(record, i));
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
