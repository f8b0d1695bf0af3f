import { invalidField } from "@roster/runtime/domain-error";

/** OIDC claims kept on a user, camelCase as in roster.user.v1.UserProfile; `address` holds the Address claims. */
export type ProfileClaims = Record<string, string | Record<string, string>>;

export const profileClaims = [
  "givenName",
  "familyName",
  "middleName",
  "nickname",
  "preferredUsername",
  "profile",
  "website",
  "gender",
  "birthdate",
  "zoneinfo",
  "locale",
] as const;
export const addressClaims = ["formatted", "streetAddress", "locality", "region", "postalCode", "country"] as const;

const longClaims: Record<string, number> = { profile: 2048, website: 2048, formatted: 1024 };

/** A camelCase claim name as its request path segment (`givenName` → `given_name`). */
export function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A profile as the request gives it: present claims only; "" means clear (merge) or unset. */
export interface ProfileInput {
  claims: Record<string, string>;
  address?: Record<string, string>;
}

export function checkProfile(input: ProfileInput, field: string): void {
  const check = (values: Record<string, string>, prefix: string) => {
    for (const [claim, value] of Object.entries(values)) {
      const max = longClaims[claim] ?? 256;
      if ([...value].length > max) throw invalidField(`${prefix}.${snake(claim)}`, `must be at most ${max} characters`);
    }
  };
  check(input.claims, field);
  if (input.address !== undefined) check(input.address, `${field}.address`);
  const birthdate = input.claims.birthdate;
  if (birthdate !== undefined && birthdate !== "" && !/^(\d{4}|\d{4}-\d{2}-\d{2})$/.test(birthdate)) {
    throw invalidField(`${field}.birthdate`, "must be YYYY-MM-DD, 0000-MM-DD or YYYY");
  }
}

function withoutEmpty(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ""));
}

/** The stored form of a whole profile (create, or replace by field mask). */
export function profileOf(input: ProfileInput): ProfileClaims {
  const result: ProfileClaims = withoutEmpty(input.claims);
  const address = withoutEmpty(input.address ?? {});
  if (Object.keys(address).length > 0) result.address = address;
  return result;
}

/** Merges claims one by one (address claims too): present claims set, "" clears, absent ones stay. */
export function mergeProfile(current: ProfileClaims, input: ProfileInput): ProfileClaims {
  const { address: currentAddress, ...rest } = current;
  const result: ProfileClaims = withoutEmpty({ ...(rest as Record<string, string>), ...input.claims });
  const address = withoutEmpty({
    ...(typeof currentAddress === "object" ? currentAddress : {}),
    ...(input.address ?? {}),
  });
  if (Object.keys(address).length > 0) result.address = address;
  return result;
}
