import { describe, expect, it } from "vitest";
import { isDomainError } from "@roster/runtime/domain-error";
import { checkProfile, mergeProfile, profileOf } from "./profile.js";

describe("profile", () => {
  it("when merging then present claims set, empty ones clear and absent ones stay, address claim by claim", () => {
    const current = { givenName: "Ada", familyName: "Byron", address: { locality: "London", country: "UK" } };
    expect(
      mergeProfile(current, { claims: { familyName: "", nickname: "Countess" }, address: { locality: "Ockham" } }),
    ).toEqual({
      givenName: "Ada",
      nickname: "Countess",
      address: { locality: "Ockham", country: "UK" },
    });
  });

  it("when the address ends empty then it is dropped", () => {
    expect(mergeProfile({ address: { country: "UK" } }, { claims: {}, address: { country: "" } })).toEqual({});
    expect(profileOf({ claims: { locale: "en-GB", gender: "" } })).toEqual({ locale: "en-GB" });
  });

  it("when a claim is too long or the birthdate is malformed then the field is named in snake case", () => {
    const fieldOf = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        return isDomainError(err) ? err.fieldViolations[0]?.field : "other";
      }
      return undefined;
    };
    expect(fieldOf(() => checkProfile({ claims: { givenName: "x".repeat(257) } }, "profile"))).toBe(
      "profile.given_name",
    );
    expect(fieldOf(() => checkProfile({ claims: {}, address: { streetAddress: "x".repeat(257) } }, "profile"))).toBe(
      "profile.address.street_address",
    );
    expect(fieldOf(() => checkProfile({ claims: { birthdate: "12/10/1815" } }, "profile"))).toBe("profile.birthdate");
    expect(
      fieldOf(() => checkProfile({ claims: { birthdate: "1815-12-10", website: "x".repeat(2048) } }, "profile")),
    ).toBeUndefined();
  });
});
