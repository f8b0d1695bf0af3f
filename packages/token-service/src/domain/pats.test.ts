import { isDomainError } from "@roster/runtime/domain-error";
import { beforeEach, describe, expect, it } from "vitest";
import { createPatRepository } from "../storage/pat-repository.js";
import { directAuditTrail, fakeUserDirectory, useTestMongo } from "../testing.js";
import { domainOutcome } from "@roster/runtime/testing";
import { createPatManagement } from "./pats.js";

const mongo = useTestMongo();
let db: typeof mongo.db;
let users: ReturnType<typeof fakeUserDirectory>;
let pats: ReturnType<typeof createPatManagement>;

beforeEach(async () => {
  db = mongo.db;
  users = fakeUserDirectory();
  users.users.set("u1", { id: "u1", username: "ada", suspended: false });
  users.users.set("u2", { id: "u2", username: "bob", suspended: false });
  pats = createPatManagement({
    store: createPatRepository(db),
    users,
    audit: directAuditTrail(users),
    pepper: "pepper",
    maxTokensPerUser: 3,
  });
});

const create = (userId: string, name: string, extra: { expireTime?: Date; scopes?: string[] } = {}) =>
  pats.create({ userId, name, expireTime: extra.expireTime, scopes: extra.scopes ?? [] });

describe("PAT management", () => {
  it("when a token is created then only its hash is stored and a PAT_CREATED entry is logged", async () => {
    const { record, secret } = await create("u1", "ci", { scopes: ["b", "a"] });
    const stored = await db.collection("personal_access_tokens").findOne({ _id: record.id as never });
    expect(JSON.stringify(stored)).not.toContain(secret.slice(11));
    expect(stored).toMatchObject({
      userId: "u1",
      name: "ci",
      scopes: ["a", "b"],
      hint: `roster_pat_…${secret.slice(-4)}`,
    });
    expect(users.logs).toEqual([
      { userId: "u1", event: "pat-created", success: true, payload: { token_id: record.id, name: "ci" } },
    ]);
  });

  it("when two creates race with the same name then exactly one is ALREADY_EXISTS", async () => {
    const results = await Promise.all([domainOutcome(create("u1", "deploy")), domainOutcome(create("u1", "deploy"))]);
    expect(results.sort()).toEqual(["OK", "already-exists/TOKEN_NAME_TAKEN"]);
    expect(await domainOutcome(create("u2", "deploy"))).toBe("OK");
  });

  it("when the user is unknown, suspended, or the expiry is past then creation is refused", async () => {
    expect(await domainOutcome(create("nobody", "x"))).toBe("not-found/USER_NOT_FOUND");
    users.users.set("u1", { id: "u1", username: "ada", suspended: true });
    expect(await domainOutcome(create("u1", "x"))).toBe("failed-precondition/USER_SUSPENDED");
    expect(await domainOutcome(create("u2", "x", { expireTime: new Date(Date.now() - 1000) }))).toBe(
      "invalid-argument/EXPIRE_TIME_IN_PAST",
    );
    expect(await domainOutcome(create("u2", "   "))).toBe("invalid-argument/INVALID_ARGUMENT");
  });

  it("when the user reaches the cap then the next create is RESOURCE_EXHAUSTED", async () => {
    for (const name of ["a", "b", "c"]) await create("u1", name);
    expect(await domainOutcome(create("u1", "d"))).toBe("resource-exhausted/TOKEN_LIMIT_REACHED");
  });

  it("when 150 creates for one user race on three instances against a cap of 100 then exactly 100 exist and the rest are TOKEN_LIMIT_REACHED", async () => {
    const instances = [1, 2, 3].map(() =>
      createPatManagement({
        store: createPatRepository(db),
        users,
        audit: directAuditTrail(users),
        pepper: "pepper",
        maxTokensPerUser: 100,
      }),
    );
    const outcomes = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        domainOutcome(instances[i % 3]!.create({ userId: "u1", name: `t${i}`, expireTime: undefined, scopes: [] })),
      ),
    );
    const tally: Record<string, number> = {};
    for (const o of outcomes) tally[o] = (tally[o] ?? 0) + 1;
    expect(tally).toEqual({ OK: 100, "resource-exhausted/TOKEN_LIMIT_REACHED": 50 });
    expect(await db.collection("personal_access_tokens").countDocuments({ userId: "u1" })).toBe(100);
    const refusal = await instances[0]!
      .create({ userId: "u1", name: "one-more", expireTime: undefined, scopes: [] })
      .catch((err: unknown) => err);
    expect(isDomainError(refusal) && refusal.metadata).toEqual({ limit: "100" });
  }, 60_000);

  it("when the creation's audit entry cannot be written then no token is stored and the call fails", async () => {
    users.failLogs = true;
    await expect(create("u1", "ci")).rejects.toThrow(/down/);
    expect(await db.collection("personal_access_tokens").countDocuments({})).toBe(0);
  });

  it("when listing page by page then every token comes once, newest first, with a total", async () => {
    // A second apart: creates within one millisecond share a create time and are ordered by their random ids.
    let at = Date.parse("2026-01-01T00:00:00Z");
    const clocked = createPatManagement({
      store: createPatRepository(db),
      users,
      audit: directAuditTrail(users),
      pepper: "pepper",
      maxTokensPerUser: 3,
      now: () => new Date((at += 1_000)),
    });
    for (const name of ["a", "b", "c"]) await clocked.create({ userId: "u1", name, expireTime: undefined, scopes: [] });
    const first = await pats.list({ userId: "u1", pageSize: 2, pageToken: "" });
    const second = await pats.list({ userId: "u1", pageSize: 2, pageToken: first.nextPageToken });
    expect([...first.records, ...second.records].map((r) => r.name)).toEqual(["c", "b", "a"]);
    expect(first.totalSize).toBe(3);
    expect(second.nextPageToken).toBe("");
    expect(await domainOutcome(pats.list({ userId: "u2", pageSize: 2, pageToken: first.nextPageToken }))).toBe(
      "invalid-argument/INVALID_PAGE_TOKEN",
    );
  });

  it("when updated by mask then only the named fields change and names stay unique", async () => {
    const { record } = await create("u1", "a", { expireTime: new Date(Date.now() + 60_000) });
    await create("u1", "b");
    const renamed = await pats.update({
      userId: "u1",
      id: record.id,
      paths: ["name"],
      name: "c",
      expireTime: undefined,
    });
    expect(renamed).toMatchObject({ name: "c", expireTime: record.expireTime });
    const forever = await pats.update({
      userId: "u1",
      id: record.id,
      paths: ["expire_time"],
      name: "",
      expireTime: undefined,
    });
    expect(forever).toMatchObject({ name: "c", expireTime: undefined });
    expect(
      await domainOutcome(
        pats.update({ userId: "u1", id: record.id, paths: ["name"], name: "b", expireTime: undefined }),
      ),
    ).toBe("already-exists/TOKEN_NAME_TAKEN");
    expect(
      await domainOutcome(
        pats.update({ userId: "u1", id: record.id, paths: ["scopes"], name: "", expireTime: undefined }),
      ),
    ).toBe("invalid-argument/INVALID_UPDATE_MASK");
  });

  it("when another user's id is named then the token is not found and stays", async () => {
    const { record } = await create("u1", "a");
    expect(await domainOutcome(pats.delete({ userId: "u2", id: record.id }))).toBe("not-found/TOKEN_NOT_FOUND");
    expect(
      await domainOutcome(
        pats.update({ userId: "u2", id: record.id, paths: ["name"], name: "x", expireTime: undefined }),
      ),
    ).toBe("not-found/TOKEN_NOT_FOUND");
    expect((await pats.list({ userId: "u1", pageSize: 0, pageToken: "" })).records).toHaveLength(1);
  });

  it("when a user's tokens are all deleted then the count is returned and a repeat deletes nothing", async () => {
    await create("u1", "a");
    await create("u1", "b");
    expect(await pats.deleteAllForUser({ userId: "u1" })).toBe(2);
    expect(await pats.deleteAllForUser({ userId: "u1" })).toBe(0);
  });
});
