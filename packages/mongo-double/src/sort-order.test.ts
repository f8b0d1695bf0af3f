import { describe, expect, it } from "vitest";
import { compareUtf8, inUtf8Order } from "./sort-order.js";

const utf8 = (s: string) => Buffer.from(s, "utf8");
const samples = [
  "",
  "a",
  "z",
  "\u00e9",
  "\uD55C",
  "\uE000",
  "\uFFFD",
  "\uFFFF",
  "\u{10000}",
  "\u{1F600}",
  "\u{1F600}a",
  "a\u{1F600}",
  "\uE000\u{1F600}",
];

describe("UTF-8 order of strings", () => {
  it("when any two sample strings are compared then compareUtf8 and inUtf8Order agree with their UTF-8 bytes", () => {
    for (const a of samples) {
      for (const b of samples) {
        const bytes = Math.sign(Buffer.compare(utf8(a), utf8(b)));
        expect([a, b, Math.sign(compareUtf8(a, b))]).toEqual([a, b, bytes]);
        const moved = inUtf8Order(a) < inUtf8Order(b) ? -1 : inUtf8Order(a) > inUtf8Order(b) ? 1 : 0;
        expect([a, b, moved]).toEqual([a, b, bytes]);
      }
    }
  });
});
