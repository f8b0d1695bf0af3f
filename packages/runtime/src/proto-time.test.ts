import { create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { isDomainError } from "./domain-error.js";
import { optionalDate } from "./proto-time.js";

function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (isDomainError(err))
      return { kind: err.kind, reason: err.reason, fields: err.fieldViolations.map((v) => v.field) };
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("optionalDate", () => {
  it("when seconds are 2^63-1 then it refuses naming the field", () => {
    const ts = create(TimestampSchema, { seconds: 2n ** 63n - 1n });
    expect(refusal(() => optionalDate(ts, "expire_time"))).toEqual({
      kind: "invalid-argument",
      reason: "TIMESTAMP_OUT_OF_RANGE",
      fields: ["expire_time"],
    });
  });

  it("when the time is one second past 9999-12-31T23:59:59Z or before 0001-01-01 then it refuses", () => {
    expect(refusal(() => optionalDate(create(TimestampSchema, { seconds: 253402300800n }), "end_time")).fields).toEqual(
      ["end_time"],
    );
    expect(
      refusal(() => optionalDate(create(TimestampSchema, { seconds: -62135596801n }), "start_time")).fields,
    ).toEqual(["start_time"]);
  });

  it("when nanos are negative or a whole second then it refuses", () => {
    expect(refusal(() => optionalDate(create(TimestampSchema, { seconds: 1n, nanos: -1 }), "t")).reason).toBe(
      "TIMESTAMP_OUT_OF_RANGE",
    );
    expect(
      refusal(() => optionalDate(create(TimestampSchema, { seconds: 1n, nanos: 1_000_000_000 }), "t")).reason,
    ).toBe("TIMESTAMP_OUT_OF_RANGE");
  });

  it("when the time is at either end of RFC 3339's range then it converts it", () => {
    expect(
      optionalDate(create(TimestampSchema, { seconds: 253402300799n, nanos: 999_999_999 }), "t")?.toISOString(),
    ).toBe("9999-12-31T23:59:59.999Z");
    expect(optionalDate(create(TimestampSchema, { seconds: -62135596800n }), "t")?.toISOString()).toBe(
      "0001-01-01T00:00:00.000Z",
    );
    expect(optionalDate(undefined, "t")).toBeUndefined();
  });
});
