import { createHash } from "node:crypto";
import argon2 from "argon2";
import bcrypt from "bcryptjs";
import { describe, expect, it, vi } from "vitest";
import { isDomainError } from "@roster/runtime/domain-error";
import { createPasswordHasher, validateDigest } from "./password-hashes.js";

const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

describe("createPasswordHasher", () => {
  it("when a password is hashed then it is argon2id and verifies without rehash", async () => {
    const stored = await hasher.hash("correct horse");
    expect(stored.hash.startsWith("$argon2id$")).toBe(true);
    expect(await hasher.verify(stored, "correct horse")).toEqual({ ok: true, rehash: false });
    expect(await hasher.verify(stored, "wrong horse")).toEqual({ ok: false, rehash: false });
  });

  it("when there is no stored password then no password matches, after an argon2id check at the configured cost", async () => {
    const spy = vi.spyOn(argon2, "verify");
    expect(await hasher.verify(undefined, "correct horse")).toEqual({ ok: false, rehash: false });
    expect(spy.mock.calls.map(([hash]) => hash.split("$").slice(1, 4).join("$"))).toEqual([
      "argon2id$v=19$m=1024,p=1,t=1",
    ]);
    spy.mockRestore();
  });

  it("when a legacy digest matches then it asks for a rehash", async () => {
    const sha = createHash("sha256").update("saltpass").digest("hex");
    const salted = validateDigest(
      { algorithm: "sha256", encodedDigest: sha.toUpperCase(), salt: "salt", saltPosition: "prefix" },
      "d",
    );
    expect(await hasher.verify(salted, "pass")).toEqual({ ok: true, rehash: true });
    expect((await hasher.verify(salted, "pas")).ok).toBe(false);

    const md5 = validateDigest(
      {
        algorithm: "md5",
        encodedDigest: createHash("md5").update("pw-suffixed").digest("hex"),
        salt: "-suffixed",
        saltPosition: "suffix",
      },
      "d",
    );
    expect((await hasher.verify(md5, "pw")).ok).toBe(true);

    const sha1 = validateDigest(
      { algorithm: "sha1", encodedDigest: createHash("sha1").update("pw").digest("hex"), salt: "" },
      "d",
    );
    expect(await hasher.verify(sha1, "pw")).toEqual({ ok: true, rehash: true });
  });

  it("when bcrypt and argon2i digests are imported then they verify", async () => {
    const b = validateDigest({ algorithm: "bcrypt", encodedDigest: bcrypt.hashSync("pw", 4), salt: "" }, "d");
    expect(await hasher.verify(b, "pw")).toEqual({ ok: true, rehash: true });
    const i = validateDigest(
      {
        algorithm: "argon2i",
        encodedDigest: await argon2.hash("pw", { type: argon2.argon2i, memoryCost: 1024, timeCost: 1 }),
        salt: "",
      },
      "d",
    );
    expect(await hasher.verify(i, "pw")).toEqual({ ok: true, rehash: true });
  });

  it("when a PHC or bcrypt string is incomplete or its parameters are out of range then INVALID_PASSWORD_DIGEST names the field", () => {
    const salt = "c29tZXNhbHRzb21lc2FsdA";
    const hash = "Y2hhbmdlLW1lLXBsZWFzZS1jaGFuZ2UtbWU";
    const bcryptTail = bcrypt.hashSync("pw", 4).slice(7);
    for (const [algorithm, encodedDigest] of [
      ["argon2id", "$argon2id$nonsense"],
      ["argon2id", `$argon2id$v=19$m=65536,t=3,p=4$${salt}$`],
      ["argon2id", `$argon2id$v=19$m=65536,t=3,p=4$${salt}`],
      ["argon2id", `$argon2id$v=19$m=65536,t=3,p=4$bad*salt$${hash}`],
      ["argon2id", `$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$${hash}`],
      ["argon2id", `$argon2id$v=18$m=65536,t=3,p=4$${salt}$${hash}`],
      ["argon2id", `$argon2id$v=19$m=65536,t=0,p=4$${salt}$${hash}`],
      ["argon2id", `$argon2id$v=19$m=16,t=3,p=4$${salt}$${hash}`],
      ["argon2id", `$argon2id$v=19$m=65536,t=3$${salt}$${hash}`],
      ["argon2id", `$argon2id$v=19$m=65536,t=3,p=4,x=1$${salt}$${hash}`],
      ["argon2id", `$argon2id$v=19$m=65536.5,t=3,p=4$${salt}$${hash}`],
      ["argon2i", `$argon2id$v=19$m=65536,t=3,p=4$${salt}$${hash}`],
      ["bcrypt", `$2b$03$${bcryptTail}`],
      ["bcrypt", `$2b$32$${bcryptTail}`],
    ] as const) {
      try {
        validateDigest({ algorithm, encodedDigest, salt: "" }, "password_digest");
        expect.unreachable(encodedDigest);
      } catch (err) {
        expect(isDomainError(err) && `${err.reason} ${err.fieldViolations[0]?.field}`).toBe(
          "INVALID_PASSWORD_DIGEST password_digest",
        );
      }
    }
    const good = `$argon2id$v=19$m=19456,t=2,p=1$${salt}$${hash}`;
    expect(validateDigest({ algorithm: "argon2id", encodedDigest: good, salt: "" }, "d")).toEqual({
      algorithm: "argon2id",
      hash: good,
    });
  });

  it("when a digest has the wrong shape then INVALID_PASSWORD_DIGEST names the field", () => {
    for (const bad of [
      { algorithm: "sha256" as const, encodedDigest: "abc", salt: "" },
      { algorithm: "bcrypt" as const, encodedDigest: "$2b$nope", salt: "" },
      { algorithm: "argon2id" as const, encodedDigest: "$argon2i$v=19$x", salt: "" },
      { algorithm: "md5" as const, encodedDigest: "a".repeat(32), salt: "s" },
    ]) {
      try {
        validateDigest(bad, "password_digest");
        expect.unreachable();
      } catch (err) {
        expect(isDomainError(err) && err.reason).toBe("INVALID_PASSWORD_DIGEST");
        expect(isDomainError(err) && err.fieldViolations[0]?.field).toBe("password_digest");
      }
    }
  });
});
