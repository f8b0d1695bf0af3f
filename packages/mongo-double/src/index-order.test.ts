import { ObjectId } from "bson";
import { afterEach, describe, expect, it, vi } from "vitest";
import { compareComponent } from "./index-order.js";
import { bsonCompare } from "./sort-order.js";

describe("compareComponent", () => {
  it("when two strings or two dates are compared then the order is bsonCompare's, UTF-8 byte order and invalid dates included", () => {
    const strings = ["", "a", "ab", "b", "B", "é", "\uFFFD", "😀", "\uD800", "z\u00E9", "za"];
    const dates = [new Date(0), new Date(1), new Date(-1), new Date(8.64e15), new Date(Number.NaN)];
    for (const values of [strings, dates] as unknown[][]) {
      for (const a of values) {
        for (const b of values) expect([a, b, compareComponent(a, b)]).toEqual([a, b, bsonCompare(a, b)]);
      }
    }
  });

  it("when two ObjectIds are compared then the order is their hex text's, from the first byte to the last", () => {
    const ids = [
      "000000000000000000000000",
      "00000000000000000000000f",
      "0f0000000000000000000000",
      "650000000000000000000001",
      "6500000000000000ff000000",
      "650000000000000000ff0000",
      "6500000000ff000000000000",
    ]
      .concat(["65ffffffffffffffffffffff", "ff0000000000000000000000", "ffffffffffffffffffffffff"])
      .map((hex) => new ObjectId(hex));
    for (const a of ids) {
      for (const b of ids) {
        const byText = Math.sign(a.toHexString().localeCompare(b.toHexString(), "en"));
        expect([a.toHexString(), b.toHexString(), compareComponent(a, b)]).toEqual([
          a.toHexString(),
          b.toHexString(),
          byText,
        ]);
        expect(compareComponent(a, new ObjectId(b.toHexString()))).toBe(bsonCompare(a, b));
      }
    }
  });

  describe("ObjectIds in keys", () => {
    afterEach(() => vi.restoreAllMocks());

    it("when two ObjectIds are compared then neither is asked for a copy of its bytes or its hex text", () => {
      const [a, b] = [new ObjectId("650000000000000000000001"), new ObjectId("650000000000000000000002")];
      const copies = vi.spyOn(ObjectId.prototype, "id", "get");
      const texts = vi.spyOn(ObjectId.prototype, "toHexString");
      expect([compareComponent(a, b), bsonCompare(b, a), compareComponent(a, a)]).toEqual([-1, 1, 0]);
      expect([copies.mock.calls.length, texts.mock.calls.length]).toEqual([0, 0]);
    });
  });
});
