import { UserService } from "@roster/client";
import { ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema, BadRequestSchema } from "@roster/client";
import { strictJsonOptions } from "./request-decoding.js";

const bytes = (json: unknown) => new TextEncoder().encode(JSON.stringify(json));

function refusal(method: (typeof UserService.methods)[number], body: Uint8Array) {
  try {
    strictJsonOptions(method).textDecoder.decode(body);
  } catch (err) {
    const error = ConnectError.from(err);
    return {
      code: error.code,
      reason: error.findDetails(ErrorInfoSchema)[0]?.reason,
      fields: error.findDetails(BadRequestSchema).flatMap((b) => b.fieldViolations.map((v) => v.field)),
    };
  }
  return undefined;
}

describe("strictJsonOptions", () => {
  const { searchUsers, createUser } = UserService.method;

  it("when a key is unknown at any depth then MALFORMED_REQUEST names its path in proto field names", () => {
    expect(refusal(createUser, bytes({ usernme: "x" }))).toEqual({
      code: 3,
      reason: "MALFORMED_REQUEST",
      fields: ["usernme"],
    });
    expect(
      refusal(searchUsers, bytes({ filter: { and: { filters: [{ suspended: true }, { bogus: 1 }] } } }))?.fields,
    ).toEqual(["filter.and.filters[1].bogus"]);
  });

  it("when an enum name is misspelt then MALFORMED_REQUEST names the field, and a number or a known name passes", () => {
    expect(refusal(searchUsers, bytes({ sort: { field: "USER_SORT_FIELD_USRNAME" } }))?.fields).toEqual(["sort.field"]);
    expect(refusal(searchUsers, bytes({ sort: { field: "USER_SORT_FIELD_USERNAME", direction: 1 } }))).toBeUndefined();
  });

  it("when the body is not UTF-8 JSON or a value has the wrong type then it is MALFORMED_REQUEST", () => {
    expect(refusal(createUser, new Uint8Array([0x7b, 0xff, 0x7d]))?.reason).toBe("MALFORMED_REQUEST");
    expect(refusal(createUser, bytes({ username: 5 }))).toEqual({
      code: 3,
      reason: "MALFORMED_REQUEST",
      fields: ["username"],
    });
  });

  it("when JSON nests a recursive message thousands deep then it is MALFORMED_REQUEST, not a stack overflow", () => {
    const depth = 20_000;
    const body = `{"filter":${'{"not":{"filter":'.repeat(depth)}{"suspended":true}${"}}".repeat(depth)}}`;
    expect(refusal(searchUsers, new TextEncoder().encode(body))?.reason).toBe("MALFORMED_REQUEST");
  });

  it("when free-form custom data holds any keys then they are not taken for unknown fields", () => {
    expect(
      refusal(createUser, bytes({ username: "a", customData: { anything: { nested: [1, "x"] } } })),
    ).toBeUndefined();
  });
});
