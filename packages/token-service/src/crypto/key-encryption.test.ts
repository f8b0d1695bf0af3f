import { describe, expect, it } from "vitest";
import { createKeyEncryption } from "./key-encryption.js";

const secret = "a-long-random-secret-of-32-chars!";
const plaintext = Buffer.from("private key bytes");

describe("key encryption", () => {
  it("when sealed and opened with the same secret and key id then the plaintext comes back", () => {
    const encryption = createKeyEncryption(secret);
    const sealed = encryption.seal(plaintext, "k1");
    expect(sealed).not.toContain(plaintext.toString("base64url"));
    expect(encryption.open(sealed, "k1")).toEqual(plaintext);
  });

  it("when sealed twice then the ciphertexts differ (fresh IV)", () => {
    const encryption = createKeyEncryption(secret);
    expect(encryption.seal(plaintext, "k1")).not.toBe(encryption.seal(plaintext, "k1"));
  });

  it("when opened with another secret, another key id or altered then it throws", () => {
    const sealed = createKeyEncryption(secret).seal(plaintext, "k1");
    expect(() => createKeyEncryption(secret + "x").open(sealed, "k1")).toThrow();
    expect(() => createKeyEncryption(secret).open(sealed, "k2")).toThrow();
    const parts = sealed.split(".");
    const flipped = [...parts.slice(0, 3), Buffer.from("tampered").toString("base64url")].join(".");
    expect(() => createKeyEncryption(secret).open(flipped, "k1")).toThrow();
    expect(() => createKeyEncryption(secret).open("v2.a.b.c", "k1")).toThrow(/unsupported/);
  });
});
