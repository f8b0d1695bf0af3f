import { invalidField } from "./domain-error.js";

/**
 * The longest id a request may name. The services issue ids far shorter
 * (user and role ids are UUIDs, 36 characters; PAT ids `pat_` and 24 hex
 * digits), so anything longer names nothing and is refused before a lookup.
 */
export const maxIdLength = 64;

/** The id of a user, role or token a request names: required, at most `maxIdLength` characters; errors name `field`. */
export function requireId(field: string, value: string): string {
  if (value.length === 0) throw invalidField(field, "is required");
  if (value.length > maxIdLength) throw invalidField(field, `must be at most ${maxIdLength} characters`);
  return value;
}
