import { Double, Long } from "bson";
import { describe, expect, it } from "vitest";
import { sameStored } from "./update-engine.js";

describe("sameStored", () => {
  it("when two documents hold the same fields in the same order with the same BSON types then they are the same", () => {
    const at = new Date(1_700_000_000_000);
    expect(
      sameStored(
        { _id: "a", n: 1, f: 1.5, big: Long.fromNumber(7), whole: new Double(2), at, tags: ["x", { y: null }] },
        {
          _id: "a",
          n: 1,
          f: 1.5,
          big: Long.fromNumber(7),
          whole: new Double(2),
          at: new Date(at),
          tags: ["x", { y: null }],
        },
      ),
    ).toBe(true);
    expect(sameStored({ a: undefined }, { a: null })).toBe(true);
  });

  it("when a value, its BSON type, a field's order or an array's length differs then they are not the same", () => {
    expect(sameStored({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
    expect(sameStored({ a: 2 }, { a: new Double(2) })).toBe(false);
    expect(sameStored({ a: Long.fromNumber(2) }, { a: 2 })).toBe(false);
    expect(sameStored({ a: new Date(1) }, { a: new Date(2) })).toBe(false);
    expect(sameStored({ a: [1, 2] }, { a: [1, 2, 3] })).toBe(false);
    expect(sameStored({ a: [1] }, { a: { 0: 1 } })).toBe(false);
    expect(sameStored({ a: { b: 1 } }, { a: { b: 1, c: 1 } })).toBe(false);
    expect(sameStored({ a: "1" }, { a: 1 })).toBe(false);
  });
});
