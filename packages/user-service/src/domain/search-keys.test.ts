import { describe, expect, it } from "vitest";
import { searchKeysOf } from "./search-keys.js";

describe("searchKeysOf", () => {
  it("when a user has a username, email and a name of several words then each word start of the name is a key", () => {
    expect(searchKeysOf({ usernameKey: "carol", emailKey: "carol@x.io", nameKey: "carol o'brien-smith" })).toEqual([
      "carol",
      "carol@x.io",
      "carol o'brien-smith",
      "o'brien-smith",
      "brien-smith",
      "smith",
    ]);
  });

  it("when fields are missing or repeat then keys are distinct and only from what is set", () => {
    expect(searchKeysOf({ nameKey: "ann ann" })).toEqual(["ann ann", "ann"]);
    expect(searchKeysOf({})).toEqual([]);
  });
});
