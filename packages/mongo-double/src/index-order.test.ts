import { describe, expect, it } from "vitest";
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
});
