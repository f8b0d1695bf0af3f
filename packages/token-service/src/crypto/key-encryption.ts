import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const version = "v1";

/** Encrypts signing keys' private halves at rest with AES-256-GCM. */
export interface KeyEncryption {
  /** Seals `plaintext`, bound to `keyId` so a sealed key cannot be moved to another record. */
  seal(plaintext: Buffer, keyId: string): string;
  /** Opens a sealed value; throws when the secret is wrong or the value was altered. */
  open(sealed: string, keyId: string): Buffer;
}

/**
 * The AES key is derived from the configured secret with HKDF, so any long
 * random string works as configuration and the raw secret never keys AES itself.
 */
export function createKeyEncryption(secret: string): KeyEncryption {
  const key = Buffer.from(hkdfSync("sha256", secret, "roster-token-service", "signing-key-encryption v1", 32));
  return {
    seal(plaintext, keyId) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(keyId, "utf8"));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const parts = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString("base64url"));
      return [version, ...parts].join(".");
    },
    open(sealed, keyId) {
      const [v, iv, tag, ciphertext] = sealed.split(".");
      if (v !== version || iv === undefined || tag === undefined || ciphertext === undefined) {
        throw new Error("unsupported sealed key format");
      }
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(keyId, "utf8"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]);
    },
  };
}
