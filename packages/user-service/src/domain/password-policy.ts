import { invalidField } from "@roster/runtime/domain-error";
import { commonPasswords } from "./common-passwords.js";

export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
}

/** Refuses a plain password that breaks the policy, naming `field`; counts characters, not UTF-16 units. */
export function checkPassword(policy: PasswordPolicy, password: string, field: string): void {
  const length = [...password].length;
  if (length < policy.minLength) {
    throw invalidField(field, `must be at least ${policy.minLength} characters`, "PASSWORD_TOO_SHORT");
  }
  if (length > policy.maxLength) {
    throw invalidField(field, `must be at most ${policy.maxLength} characters`, "PASSWORD_TOO_LONG");
  }
  if (commonPasswords.has(password.toLowerCase())) {
    throw invalidField(field, "is one of the most common passwords", "PASSWORD_TOO_COMMON");
  }
}
