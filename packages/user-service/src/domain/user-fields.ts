import { invalidField } from "@roster/runtime/domain-error";
import { normaliseEmail, normalisePhone, normaliseUsername } from "./identifiers.js";
import { profileClaims, snake } from "./profile.js";
import type { UserRecord } from "./user-store.js";

/** Identifier and display fields as a request gives them; "" means unset. */
export interface UserFieldsInput {
  username: string;
  email: string;
  emailVerified: boolean;
  phone: string;
  phoneVerified: boolean;
  name: string;
  avatarUrl: string;
}

/**
 * The identifier and display fields, by the request path that names them
 * (in an update mask, and as the User message's fields), each with the
 * input field it sets. The one list: the mask's allowed paths, the update
 * and the request translation all read it.
 */
export const userFieldPaths = {
  username: "username",
  primary_email: "email",
  primary_email_verified: "emailVerified",
  primary_phone: "phone",
  primary_phone_verified: "phoneVerified",
  name: "name",
  avatar_url: "avatarUrl",
} as const satisfies Record<string, keyof UserFieldsInput>;

export type UserFieldPath = keyof typeof userFieldPaths;

/** Every path UpdateUser's mask may name: the fields above, the profile whole or by claim, and custom data. */
export const updatablePaths: ReadonlySet<string> = new Set([
  ...Object.keys(userFieldPaths),
  "profile",
  ...profileClaims.map((claim) => `profile.${snake(claim)}`),
  "profile.address",
  "custom_data",
]);

export type UserFields = Pick<
  UserRecord,
  "username" | "email" | "emailVerified" | "phone" | "phoneVerified" | "name" | "avatarUrl"
>;

/** Validates and normalises identifier/display fields (undefined = unset). */
export function userFieldsOf(input: UserFieldsInput, prefix: string): UserFields {
  const username = input.username === "" ? undefined : normaliseUsername(input.username, `${prefix}username`);
  if ([...input.name].length > 256) throw invalidField(`${prefix}name`, "must be at most 256 characters");
  if (input.avatarUrl !== "" && !isWebUrl(input.avatarUrl)) {
    throw invalidField(`${prefix}avatar_url`, "must be an absolute http(s) URL of at most 2048 characters");
  }
  return {
    username: username?.display,
    email: input.email === "" ? undefined : normaliseEmail(input.email, `${prefix}primary_email`),
    emailVerified: input.emailVerified,
    phone: input.phone === "" ? undefined : normalisePhone(input.phone, `${prefix}primary_phone`),
    phoneVerified: input.phoneVerified,
    name: input.name === "" ? undefined : input.name,
    avatarUrl: input.avatarUrl === "" ? undefined : input.avatarUrl,
  };
}

function isWebUrl(value: string): boolean {
  if (value.length > 2048) return false;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}
