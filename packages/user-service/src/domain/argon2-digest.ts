import { deserialize } from "@phc/format";

/**
 * Bounds an imported argon2 hash must keep. Argon2's own limits (RFC 9106:
 * salt of 8 bytes or more, a tag of 4 or more, memory of at least 8 KiB per
 * lane), and ceilings on cost: the first sign-in runs the imported
 * parameters, so a caller could otherwise plant a hash that takes minutes or
 * gigabytes to check.
 */
export const argon2DigestLimits = {
  maxMemoryKiB: 1_048_576,
  maxTimeCost: 64,
  maxParallelism: 16,
  minSaltBytes: 8,
  minHashBytes: 4,
};

const versions = new Set([0x10, 0x13]);

/**
 * What is wrong with an argon2 PHC string
 * (`$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<base64 salt>$<base64 hash>`),
 * or undefined when argon2 can verify against it.
 */
export function argon2DigestProblem(encoded: string, algorithm: "argon2id" | "argon2i"): string | undefined {
  let phc;
  try {
    phc = deserialize(encoded);
  } catch (err) {
    return `is not a PHC string: ${(err as Error).message}`;
  }
  const limits = argon2DigestLimits;
  if (phc.id !== algorithm) return `must be a PHC string starting with $${algorithm}$`;
  if (phc.version !== undefined && !versions.has(phc.version)) return "version must be v=16 or v=19";
  const params = phc.params ?? {};
  const keys = Object.keys(params).sort().join(",");
  if (keys !== "m,p,t") return "parameters must be exactly m, t and p";
  const [m, t, p] = [params.m, params.t, params.p].map((v) =>
    typeof v === "number" && Number.isSafeInteger(v) ? v : Number.NaN,
  ) as [number, number, number];
  if (!(p >= 1 && p <= limits.maxParallelism)) return `p must be 1-${limits.maxParallelism}`;
  if (!(t >= 1 && t <= limits.maxTimeCost)) return `t must be 1-${limits.maxTimeCost}`;
  if (!(m >= 8 * p && m <= limits.maxMemoryKiB)) return `m must be 8*p-${limits.maxMemoryKiB} KiB`;
  if (phc.salt === undefined || phc.salt.length < limits.minSaltBytes)
    return `salt must be base64 of at least ${limits.minSaltBytes} bytes`;
  if (phc.hash === undefined || phc.hash.length < limits.minHashBytes)
    return `hash must be base64 of at least ${limits.minHashBytes} bytes`;
  return undefined;
}
