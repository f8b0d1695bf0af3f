import { createHash, timingSafeEqual } from "node:crypto";

/** A configured API key: only its SHA-256 digest is kept in memory. */
export interface ApiKey {
  digest: Buffer;
  /** A non-secret label for logs and user-log actors: the first 12 hex digits of the digest. */
  id: string;
}

const digestPrefix = "sha256:";

export function sha256(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/**
 * Parses a comma-separated list of keys, each either the raw key or
 * `sha256:<64 hex digits>` (so configuration need not hold the key itself).
 * Throws an Error naming the offending entry (by position, never its value).
 */
export function parseApiKeys(list: string): ApiKey[] {
  const keys: ApiKey[] = [];
  const entries = list.split(",").map((s) => s.trim());
  entries.forEach((entry, index) => {
    if (entry === "") {
      if (entries.length > 1) throw new Error(`entry ${index + 1} is empty`);
      return;
    }
    let digest: Buffer;
    if (entry.startsWith(digestPrefix)) {
      const hex = entry.slice(digestPrefix.length);
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
        throw new Error(`entry ${index + 1} must be sha256: followed by 64 hex digits`);
      }
      digest = Buffer.from(hex, "hex");
    } else {
      if (entry.length < 16) throw new Error(`entry ${index + 1} is shorter than 16 characters`);
      digest = sha256(entry);
    }
    keys.push({ digest, id: digest.toString("hex").slice(0, 12) });
  });
  return keys;
}

/**
 * Finds the key a presented secret matches. Every configured key is compared,
 * each in constant time, so timing reveals neither which key matched nor how
 * much of one did.
 */
export function matchApiKey(keys: readonly ApiKey[], presented: string): ApiKey | undefined {
  const digest = sha256(presented);
  let found: ApiKey | undefined;
  for (const key of keys) {
    if (timingSafeEqual(key.digest, digest) && found === undefined) found = key;
  }
  return found;
}

/**
 * matchApiKey with a memory of the secrets that matched, so a key in use is
 * not hashed again on every call. Only configured keys are remembered (at
 * most one secret each, the map never grows past the key list), so unknown
 * credentials always take the constant-time path and cannot fill memory. A
 * remembered secret is found by a hash-table lookup, which compares contents
 * only with an entry of equal (per-process seeded) hash: nothing about a key
 * leaks to a caller who does not already hold it. The memory lives as long as
 * the key list it was made from: a restart with another configuration forgets it.
 */
export function createApiKeyMatcher(keys: readonly ApiKey[]): {
  match(presented: string): ApiKey | undefined;
  readonly remembered: number;
} {
  const known = new Map<string, ApiKey>();
  return {
    match(presented) {
      const hit = known.get(presented);
      if (hit !== undefined) return hit;
      const key = matchApiKey(keys, presented);
      if (key !== undefined && known.size < keys.length) known.set(presented, key);
      return key;
    },
    get remembered() {
      return known.size;
    },
  };
}
