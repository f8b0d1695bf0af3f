import { create } from "@bufbuild/protobuf";
import { UserProfileSchema, UserSchema } from "@roster/client";
import { describe, expect, it } from "vitest";
import { updatablePaths } from "../domain/user-fields.js";
import { userFieldsFromProto } from "./convert.js";

describe("the updatable user fields", () => {
  it("when a User message sets every identifier and display field then each reaches the input under the domain's name", () => {
    const user = create(UserSchema, {
      username: "ada",
      primaryEmail: "ada@example.com",
      primaryEmailVerified: true,
      primaryPhone: "+4930123456",
      primaryPhoneVerified: true,
      name: "Ada Lovelace",
      avatarUrl: "https://example.com/ada.png",
    });
    expect(userFieldsFromProto(user)).toEqual({
      username: "ada",
      email: "ada@example.com",
      emailVerified: true,
      phone: "+4930123456",
      phoneVerified: true,
      name: "Ada Lovelace",
      avatarUrl: "https://example.com/ada.png",
      profile: { claims: {} },
      customData: {},
    });
  });

  it("when the update mask's allowed paths are read then each names a field of the User message (or of its profile)", () => {
    const fieldsOf = (schema: typeof UserSchema | typeof UserProfileSchema) => schema.fields.map((f) => f.name);
    for (const path of updatablePaths) {
      const [top, claim] = path.split(".");
      expect(fieldsOf(UserSchema)).toContain(top);
      if (claim !== undefined) expect(fieldsOf(UserProfileSchema)).toContain(claim);
    }
  });
});
