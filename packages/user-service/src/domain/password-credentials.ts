import { checkPassword, type PasswordPolicy } from "./password-policy.js";
import { validateDigest, type ImportedDigest, type PasswordHasher, type StoredPassword } from "./password-hashes.js";

/** A secret as a request gives it: a plain password (policy-checked, hashed) or an imported digest. */
export type PasswordCredential = { kind: "password"; password: string } | { kind: "digest"; digest: ImportedDigest };

/** Turns credentials into what is stored, enforcing the policy. */
export function createPasswordCredentials(deps: { hasher: PasswordHasher; policy: PasswordPolicy }) {
  return {
    /** The stored form of a credential; `prefix` places field names in the request. */
    async prepare(credential: PasswordCredential, prefix: string, passwordField = "password"): Promise<StoredPassword> {
      if (credential.kind === "digest") return validateDigest(credential.digest, `${prefix}password_digest`);
      checkPassword(deps.policy, credential.password, `${prefix}${passwordField}`);
      return deps.hasher.hash(credential.password);
    },
  };
}

export type PasswordCredentials = ReturnType<typeof createPasswordCredentials>;
