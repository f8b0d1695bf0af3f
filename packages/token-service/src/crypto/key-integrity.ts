import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

const version = "v1";

/** What a signing-key record says about its key: what it verifies, as which algorithm, since when. */
export interface SigningKeyFacts {
  kid: string;
  generation: number;
  alg: string;
  publicJwk: { kty: string; crv: string; x: string };
  createTime: Date;
}

/** HMAC-SHA-256 over a signing-key record, so a record only a holder of the secret wrote is recognised. */
export interface KeyIntegrity {
  /** The MAC a new record is stored with. */
  mac(facts: SigningKeyFacts): string;
  /** Whether `mac` was made with this secret over exactly these facts; false for anything malformed. */
  verify(facts: SigningKeyFacts, mac: unknown): boolean;
}

/**
 * The HMAC key is derived from the configured secret with HKDF under its own
 * label, so it is independent of the key that seals the private halves:
 * write access to the database, without the secret, cannot make a record
 * that verifies.
 */
export function createKeyIntegrity(secret: string): KeyIntegrity {
  const key = Buffer.from(hkdfSync("sha256", secret, "roster-token-service", "signing-key-mac v1", 32));
  const digest = (facts: SigningKeyFacts) => {
    const { kid, generation, alg, publicJwk, createTime } = facts;
    const fields = [kid, generation, alg, publicJwk.kty, publicJwk.crv, publicJwk.x, createTime.toISOString()];
    return createHmac("sha256", key).update(JSON.stringify(fields)).digest();
  };
  return {
    mac: (facts) => `${version}.${digest(facts).toString("base64url")}`,
    verify(facts, mac) {
      if (typeof mac !== "string" || !mac.startsWith(`${version}.`)) return false;
      const given = Buffer.from(mac.slice(version.length + 1), "base64url");
      let expected: Buffer;
      try {
        expected = digest(facts);
      } catch {
        // A stored field of the wrong type (a createTime that is no date, say) is not a record we wrote.
        return false;
      }
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
