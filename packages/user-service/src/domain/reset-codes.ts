import { createHash, randomBytes } from "node:crypto";

/** A fresh reset code: 256 bits, URL-safe. Only its hash is stored. */
export function newResetCode(): { code: string; hash: string } {
  const code = randomBytes(32).toString("base64url");
  return { code, hash: hashResetCode(code) };
}

/** SHA-256 suffices: the code is high-entropy, so it needs no slow hash to resist guessing. */
export function hashResetCode(code: string): string {
  return createHash("sha256").update(code, "utf8").digest("hex");
}
