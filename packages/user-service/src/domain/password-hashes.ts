import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import argon2 from "argon2";
import bcrypt from "bcryptjs";
import { invalidField } from "@roster/runtime/domain-error";
import { argon2DigestProblem } from "./argon2-digest.js";

/** Algorithms a stored password may use; only argon2id is ever written by Roster itself. */
export type PasswordAlgorithm = "argon2id" | "argon2i" | "bcrypt" | "sha256" | "sha1" | "md5";

/** A stored secret: never leaves the service, never logged. */
export interface StoredPassword {
  algorithm: PasswordAlgorithm;
  hash: string;
  salt?: string;
  saltPosition?: "prefix" | "suffix";
}

export interface ImportedDigest {
  algorithm: PasswordAlgorithm;
  encodedDigest: string;
  salt: string;
  saltPosition?: "prefix" | "suffix";
}

export interface Argon2Cost {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

const hexLength: Partial<Record<PasswordAlgorithm, number>> = { sha256: 64, sha1: 40, md5: 32 };

/** Checks an imported digest's shape so that a typo is refused at import, not at the first sign-in. */
export function validateDigest(digest: ImportedDigest, field: string): StoredPassword {
  const { algorithm, encodedDigest, salt } = digest;
  const bad = (description: string) => invalidField(field, description, "INVALID_PASSWORD_DIGEST");
  if (encodedDigest.length === 0 || encodedDigest.length > 1024) throw bad("encoded_digest must be 1-1024 characters");
  if (salt.length > 256) throw bad("salt must be at most 256 characters");
  const expectedHex = hexLength[algorithm];
  if (expectedHex !== undefined) {
    if (!new RegExp(`^[0-9a-fA-F]{${expectedHex}}$`).test(encodedDigest))
      throw bad(`must be ${expectedHex} hex digits for ${algorithm}`);
    if (salt !== "" && digest.saltPosition === undefined) throw bad("salt_position is required with a salt");
    return salt === ""
      ? { algorithm, hash: encodedDigest.toLowerCase() }
      : { algorithm, hash: encodedDigest.toLowerCase(), salt, saltPosition: digest.saltPosition };
  }
  if (salt !== "") throw bad(`${algorithm} digests embed their salt; salt must be empty`);
  if (algorithm === "bcrypt") {
    const cost = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/.exec(encodedDigest)?.[1];
    if (cost === undefined) throw bad("must be a bcrypt modular crypt string");
    if (Number(cost) < 4 || Number(cost) > 31) throw bad("bcrypt cost must be 04-31");
  } else if (algorithm === "argon2id" || algorithm === "argon2i") {
    const problem = argon2DigestProblem(encodedDigest, algorithm);
    if (problem !== undefined) throw bad(problem);
  }
  return { algorithm, hash: encodedDigest };
}

function legacyDigest(stored: StoredPassword, password: string): string {
  const salted =
    stored.salt === undefined
      ? password
      : stored.saltPosition === "prefix"
        ? stored.salt + password
        : password + stored.salt;
  return createHash(stored.algorithm).update(salted, "utf8").digest("hex");
}

/** Hashes with argon2id and verifies any supported algorithm. */
export function createPasswordHasher(cost: Argon2Cost) {
  /**
   * An argon2id hash of a random secret at the configured cost, made when the
   * service starts: checking a password against it costs what checking a
   * real one costs, so a missing user or password does not answer sooner.
   */
  const decoy = argon2.hash(randomBytes(32), { type: argon2.argon2id, ...cost });
  // A failure surfaces at the first verify that needs the decoy, not as an unhandled rejection.
  decoy.catch(() => undefined);

  async function matches(stored: StoredPassword, password: string): Promise<boolean> {
    switch (stored.algorithm) {
      case "argon2id":
      case "argon2i":
        return argon2.verify(stored.hash, password).catch(() => false);
      case "bcrypt":
        return bcrypt.compare(password, stored.hash).catch(() => false);
      case "sha256":
      case "sha1":
      case "md5": {
        const actual = Buffer.from(legacyDigest(stored, password), "hex");
        const expected = Buffer.from(stored.hash, "hex");
        return actual.length === expected.length && timingSafeEqual(actual, expected);
      }
    }
  }

  return {
    async hash(password: string): Promise<StoredPassword> {
      return { algorithm: "argon2id", hash: await argon2.hash(password, { type: argon2.argon2id, ...cost }) };
    },

    /**
     * Whether `password` matches, and whether the stored form should be replaced
     * by a fresh argon2id hash. Without a stored password the answer is no, after
     * the same argon2id work as a wrong guess against a current hash.
     */
    async verify(stored: StoredPassword | undefined, password: string): Promise<{ ok: boolean; rehash: boolean }> {
      if (stored === undefined) {
        await argon2.verify(await decoy, password);
        return { ok: false, rehash: false };
      }
      const ok = await matches(stored, password);
      return { ok, rehash: ok && (stored.algorithm !== "argon2id" || argon2.needsRehash(stored.hash, cost)) };
    },
  };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;
