import { invalidField } from "@roster/runtime/domain-error";

const usernamePattern = /^[A-Za-z0-9._@+-]{1,128}$/;
// Deliberately simple: one @, a non-empty local part, a dotted domain, no spaces.
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A username as given and its case-insensitive key. */
export function normaliseUsername(value: string, field: string): { display: string; key: string } {
  if (!usernamePattern.test(value)) {
    throw invalidField(field, "must be 1-128 characters of letters, digits and ._-@+");
  }
  return { display: value, key: value.toLowerCase() };
}

/** Emails are stored and compared lower-cased. */
export function normaliseEmail(value: string, field: string): string {
  const trimmed = value.trim();
  if (trimmed.length > 254 || !emailPattern.test(trimmed)) {
    throw invalidField(field, "must be an email address of at most 254 characters");
  }
  return trimmed.toLowerCase();
}

/**
 * Normalises a phone number to E.164: a leading `+` and 8-15 digits. Spaces,
 * dashes, dots and parentheses are dropped; `00` is read as the international
 * prefix. A number without a country code is refused, since guessing one
 * would make two spellings of one number distinct users.
 */
export function normalisePhone(value: string, field: string): string {
  const compact = value.trim().replace(/[\s().-]/g, "");
  const international = compact.startsWith("00") ? `+${compact.slice(2)}` : compact;
  if (!/^\+[1-9]\d{7,14}$/.test(international)) {
    throw invalidField(field, "must be an E.164 phone number with country code, such as +4930123456");
  }
  return international;
}
