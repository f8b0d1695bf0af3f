import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "@roster/client";
import { describe, expect, it } from "vitest";
import { alreadyExists, invalidArgument, notFound, rateLimited } from "./domain-error.js";
import { toConnectError } from "./error-mapping.js";

const unexpected = () => {
  throw new Error("not expected to be internal");
};

describe("toConnectError", () => {
  it("when a domain error names fields then the status carries ErrorInfo and BadRequest", () => {
    const err = toConnectError(
      invalidArgument([{ field: "user.email", description: "must be an email address" }]),
      unexpected,
    );
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.findDetails(ErrorInfoSchema)[0]?.reason).toBe("INVALID_ARGUMENT");
    expect(err.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["user.email"]);
  });

  it("when a conflict names a field then ALREADY_EXISTS keeps the reason and the field", () => {
    const err = toConnectError(alreadyExists("USERNAME_TAKEN", "username is taken", "user.username"), unexpected);
    expect(err.code).toBe(Code.AlreadyExists);
    const info = err.findDetails(ErrorInfoSchema)[0];
    expect(info?.reason).toBe("USERNAME_TAKEN");
    expect(info?.metadata).toEqual({ field: "user.username" });
  });

  it("when not found then the code is NOT_FOUND with no BadRequest", () => {
    const err = toConnectError(notFound("USER_NOT_FOUND", "no user u1"), unexpected);
    expect(err.code).toBe(Code.NotFound);
    expect(err.findDetails(BadRequestSchema)).toEqual([]);
  });

  it("when rate limited then RESOURCE_EXHAUSTED carries RATE_LIMITED and a RetryInfo rounded up to the millisecond", () => {
    const err = toConnectError(rateLimited("too many attempts", 1234.2), unexpected);
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.findDetails(ErrorInfoSchema)[0]?.reason).toBe("RATE_LIMITED");
    const delay = err.findDetails(RetryInfoSchema)[0]?.retryDelay;
    expect({ seconds: delay?.seconds, nanos: delay?.nanos }).toEqual({ seconds: 1n, nanos: 235_000_000 });
  });

  it("when no delay is given then there is no RetryInfo", () => {
    expect(toConnectError(notFound("USER_NOT_FOUND", "no user u1"), unexpected).findDetails(RetryInfoSchema)).toEqual(
      [],
    );
  });

  it("when a ConnectError is thrown then it passes through unchanged", () => {
    const original = new ConnectError("slow", Code.DeadlineExceeded);
    expect(toConnectError(original, unexpected)).toBe(original);
  });

  it("when anything else is thrown then the caller sees INTERNAL without the message, and the cause is reported", () => {
    const reported: unknown[] = [];
    const cause = new Error("connection string mongodb://secret@host");
    const err = toConnectError(cause, (e) => reported.push(e));
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).toBe("internal error");
    expect(reported).toEqual([cause]);
  });
});
