import { describe, expect, it } from "vitest";
import { reasonOf as reasonOfThrown } from "@roster/runtime/testing";
import { checkCustomData, checkFreeForm, mergePatch, type JsonRecord } from "./custom-data.js";

const limits = { maxBytes: 200, maxDepth: 3 };

const reasonOf = (data: JsonRecord) => reasonOfThrown(() => checkCustomData(data, limits, "custom_data"));

describe("custom data", () => {
  it("when a patch has nulls, objects and scalars then RFC 7386 rules apply", () => {
    const target: JsonRecord = { a: 1, b: { c: 2, d: 3 }, e: [1, 2] };
    expect(mergePatch(target, { a: null, b: { c: null, x: true }, e: [3], f: "new" })).toEqual({
      b: { d: 3, x: true },
      e: [3],
      f: "new",
    });
    expect(target).toEqual({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] });
  });

  it("when a patch puts an object over a scalar then the object replaces it", () => {
    expect(mergePatch({ a: 1 }, { a: { b: null, c: 1 } })).toEqual({ a: { c: 1 } });
  });

  it("when data is too big or too deep then it is refused with the reason", () => {
    expect(reasonOf({ ok: { fine: 1 } })).toBeUndefined();
    expect(reasonOf({ big: "x".repeat(300) })).toBe("CUSTOM_DATA_TOO_LARGE");
    expect(reasonOf({ a: { b: { c: { d: 1 } } } })).toBe("CUSTOM_DATA_TOO_LARGE");
  });

  it("when a key is __proto__ at any depth then it is invalid, as a merge would make it the prototype", () => {
    // Decoded JSON holds the key as data; an object literal would set the prototype instead.
    expect(reasonOf(JSON.parse('{"__proto__": {"admin": true}}'))).toBe("INVALID_ARGUMENT");
    expect(reasonOf(JSON.parse('{"a": [{"b": {"__proto__": 1}}]}'))).toBe("INVALID_ARGUMENT");
    expect(reasonOf(JSON.parse('{"proto": {"__proto": 1}}'))).toBeUndefined();
  });

  it("when any free-form value holds a non-finite number or a __proto__ key at any depth then it names the field", () => {
    const refusal = (value: unknown) => reasonOfThrown(() => checkFreeForm(value, "payload"));
    expect(refusal(JSON.parse('{"a": [1, {"b": "__proto__"}], "__proto": 2}'))).toBeUndefined();
    expect(refusal({ a: [1, { b: Number.NaN }] })).toBe("NON_FINITE_NUMBER");
    expect(refusal(JSON.parse('[{"a": {"__proto__": null}}]'))).toBe("INVALID_ARGUMENT");
    // Wide arrays are walked without spreading them into one call.
    expect(refusal({ wide: Array.from({ length: 300_000 }, () => 1) })).toBeUndefined();
  });

  it("when a key starts with $ or has a dot then it is invalid", () => {
    expect(reasonOf({ $where: 1 })).toBe("INVALID_ARGUMENT");
    expect(reasonOf({ nested: [{ "a.b": 1 }] })).toBe("INVALID_ARGUMENT");
  });
});
