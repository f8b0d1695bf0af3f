import { createHmac, hkdfSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createKeyIntegrity, type SigningKeyFacts } from "./key-integrity.js";

const secret = "a-long-random-secret-of-32-chars!";
const facts: SigningKeyFacts = {
  kid: "k1",
  generation: 3,
  alg: "EdDSA",
  publicJwk: { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" },
  createTime: new Date("2026-11-29T10:00:00Z"),
};

describe("key integrity", () => {
  it("when a MAC is made and checked with the same secret then it verifies", () => {
    const integrity = createKeyIntegrity(secret);
    expect(integrity.verify(facts, integrity.mac(facts))).toBe(true);
  });

  it("when any fact changes, or the secret differs, then the MAC does not verify", () => {
    const mac = createKeyIntegrity(secret).mac(facts);
    const integrity = createKeyIntegrity(secret);
    const altered: SigningKeyFacts[] = [
      { ...facts, kid: "k2" },
      { ...facts, generation: 4 },
      { ...facts, alg: "ES256" },
      { ...facts, publicJwk: { ...facts.publicJwk, x: "22qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" } },
      { ...facts, publicJwk: { ...facts.publicJwk, crv: "Ed448" } },
      { ...facts, createTime: new Date("2026-11-29T10:00:01Z") },
    ];
    expect(altered.map((a) => integrity.verify(a, mac))).toEqual(altered.map(() => false));
    expect(createKeyIntegrity(secret + "x").verify(facts, mac)).toBe(false);
  });

  it("when the MAC is missing, malformed or the record's fields have the wrong types then it does not verify", () => {
    const integrity = createKeyIntegrity(secret);
    const mac = integrity.mac(facts);
    for (const bad of [undefined, null, 42, "", "v1.", mac.slice(0, -2), `v2${mac.slice(2)}`]) {
      expect(integrity.verify(facts, bad), String(bad)).toBe(false);
    }
    expect(integrity.verify({ ...facts, createTime: "2026-11-29T10:00:00Z" as unknown as Date }, mac)).toBe(false);
  });

  it("when derived from the same secret then the MAC key is not the encryption key's", () => {
    const encryptionKey = Buffer.from(
      hkdfSync("sha256", secret, "roster-token-service", "signing-key-encryption v1", 32),
    );
    const { kid, generation, alg, publicJwk, createTime } = facts;
    const fields = JSON.stringify([
      kid,
      generation,
      alg,
      publicJwk.kty,
      publicJwk.crv,
      publicJwk.x,
      createTime.toISOString(),
    ]);
    const withEncryptionKey = `v1.${createHmac("sha256", encryptionKey).update(fields).digest("base64url")}`;
    expect(createKeyIntegrity(secret).verify(facts, withEncryptionKey)).toBe(false);
  });
});
