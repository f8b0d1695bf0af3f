import { checkPassword, type PasswordPolicy } from "./password-policy.js";
import { validateDigest, type ImportedDigest, type PasswordHasher, type StoredPassword } from "./passwords.js";

/** A secret as a request gives it: a plain password (policy-checked, hashed) or an imported digest. */
export type PasswordCredential = { kind: "password"; password: string } | { kind: "digest"; digest: ImportedDigest };

/** Turns credentials into what is stored, enforcing the policy; `prefix` places field names in the request. */
export class PasswordService {
  constructor(
    readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
  ) {}

  async prepare(credential: PasswordCredential, prefix: string, passwordField = "password"): Promise<StoredPassword> {
    if (credential.kind === "digest") return validateDigest(credential.digest, `${prefix}password_digest`);
    checkPassword(this.policy, credential.password, `${prefix}${passwordField}`);
    return this.hasher.hash(credential.password);
  }
}
