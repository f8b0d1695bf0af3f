import { ensureIndexes } from "@roster/runtime";
import { isDomainError } from "@roster/runtime/domain-error";
import { useBackend } from "@roster/mongo-double/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { createPasswordCredentials } from "../domain/password-credentials.js";
import { createPasswordHasher } from "../domain/password-hashes.js";
import { createUsers, type Users } from "../domain/users.js";
import { unloggedChanges, userInput as input } from "../testing.js";
import { userServiceIndexes } from "./indexes.js";
import type { UserDocument } from "./user-document.js";
import { createUserRepository } from "./user-repository.js";

const testDb = useBackend("user_repository");
let users: Users;

beforeAll(async () => {
  await ensureIndexes(testDb.db, userServiceIndexes(90));
  const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
  users = createUsers({
    store: createUserRepository(testDb.db, { lookupTimeoutMs: 5_000 }),
    credentials: createPasswordCredentials({ hasher, policy: { minLength: 8, maxLength: 64 } }),
    customDataLimits: { maxBytes: 1024, maxDepth: 4 },
    ...unloggedChanges,
  });
}, 30_000);

async function failure(call: () => Promise<unknown>): Promise<{ reason: string; field?: string } | undefined> {
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  return isDomainError(err) ? { reason: err.reason, field: err.fieldViolations[0]?.field } : undefined;
}

/** The user as stored, with the keys and search fields storage derives. */
const storedUser = async (id: string) =>
  (await testDb.db.collection<UserDocument>("users").findOne({ _id: id })) ?? undefined;

describe("users as the repository stores them", () => {
  it("when identifiers differ only in case or format then the unique indexes refuse the second user", async () => {
    const ada = await users.create(
      input({ username: "Ada", email: "Ada@Example.com", phone: "+44 20 7946 0000", name: "Ada Lovelace" }),
      "key:admin",
    );
    expect(ada).toMatchObject({ username: "Ada", email: "ada@example.com", phone: "+442079460000" });
    expect(await storedUser(ada.id)).toMatchObject({
      usernameKey: "ada",
      emailKey: "ada@example.com",
      phone: "+442079460000",
    });
    expect((await storedUser(ada.id))?.grams?.length).toBeGreaterThan(0);
    expect(await failure(() => users.create(input({ username: "ADA" }), "key:admin"))).toEqual({
      reason: "USERNAME_TAKEN",
      field: "username",
    });
    expect(await failure(() => users.create(input({ email: "ada@EXAMPLE.com" }), "key:admin"))).toEqual({
      reason: "EMAIL_TAKEN",
      field: "primary_email",
    });
    expect(await failure(() => users.create(input({ phone: "0044 20 7946 0000" }), "key:admin"))).toEqual({
      reason: "PHONE_TAKEN",
      field: "primary_phone",
    });
    // Users without identifiers do not collide on the partial indexes.
    await users.create(input(), "key:admin");
    await users.create(input(), "key:admin");
    expect((await users.getByIdentifier({ kind: "email", value: "ADA@example.com" })).id).toBe(ada.id);
  });

  it("when one user is read by id or identifier then the search-only trigrams and keys stay stored but are not read", async () => {
    const grace = await users.create(input({ username: "grace", name: "Grace Hopper" }), "key:admin");
    const byId = await users.get(grace.id);
    const byName = await users.getByIdentifier({ kind: "username", value: "GRACE" });
    expect(byId).toEqual(grace);
    expect(byName).toEqual(grace);
    for (const field of ["_id", "usernameKey", "nameKey", "grams", "searchKeys"]) {
      expect(field in grace).toBe(false);
      expect(field in byId).toBe(false);
      expect(field in byName).toBe(false);
    }
    const stored = await storedUser(grace.id);
    expect(stored?.nameKey).toBe("grace hopper");
    expect(stored?.grams?.length).toBeGreaterThan(0);
    expect(stored?.searchKeys?.length).toBeGreaterThan(0);
  });

  it("when an update takes a taken username then ALREADY_EXISTS names user.username", async () => {
    const bob = await users.create(input({ username: "bob" }), "key:admin");
    const values = { ...input({ username: "ada" }), profile: { claims: {} }, customData: {} };
    expect(await failure(() => users.update(bob.id, ["username"], values, "key:admin"))).toEqual({
      reason: "USERNAME_TAKEN",
      field: "user.username",
    });
    const renamed = await users.update(
      bob.id,
      ["username", "name"],
      { ...values, username: "Robert", name: "Bob B" },
      "key:admin",
    );
    expect(renamed).toMatchObject({ username: "Robert", name: "Bob B" });
    expect(await storedUser(bob.id)).toMatchObject({ usernameKey: "robert", nameKey: "bob b" });
  });

  it("when a user is created, renamed and cleared then its search keys and trigrams follow every write", async () => {
    const ada = await users.create(input({ username: "AdaL", email: "ada@x.io", name: "Ada Lovelace" }), "key:admin");
    expect((await storedUser(ada.id))?.searchKeys).toEqual(["adal", "ada@x.io", "ada lovelace", "lovelace"]);
    const values = { ...input({ name: "Ada King-Byron" }), profile: { claims: {} }, customData: {} };
    await users.update(ada.id, ["name", "primary_email"], values, "key:admin");
    const renamed = await storedUser(ada.id);
    expect(renamed?.searchKeys).toEqual(["adal", "ada king-byron", "king-byron", "byron"]);
    expect(renamed?.emailKey).toBeUndefined();
    expect(renamed?.grams).toContain("byr");
    expect(renamed?.grams).not.toContain("lov");
  });
});
