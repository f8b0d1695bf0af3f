import { profileClaims, snake } from "./profile.js";

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
