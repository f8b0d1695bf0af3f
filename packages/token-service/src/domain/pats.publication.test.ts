import { DomainError } from "@roster/runtime/domain-error";
import { beforeEach, describe, expect, it } from "vitest";
import { createPatRepository } from "../storage/pat-repository.js";
import { directAuditTrail, fakeUserDirectory, useTestMongo } from "../testing.js";
import { domainOutcome } from "@roster/runtime/testing";
import { createPatManagement } from "./pats.js";

// Every change of a PAT other than its creation is published (so other
// instances drop their cached copy) before it returns.

const mongo = useTestMongo();
let published: string[];
let publishFails: boolean;
let pats: ReturnType<typeof createPatManagement>;

beforeEach(() => {
  published = [];
  publishFails = false;
  const users = fakeUserDirectory();
  users.users.set("u1", { id: "u1", username: "ada", suspended: false });
  pats = createPatManagement({
    store: createPatRepository(mongo.db),
    users,
    audit: directAuditTrail(users),
    pepper: undefined,
    maxTokensPerUser: 5,
    async tokensChanged(userId) {
      if (publishFails) throw new DomainError("unavailable", { reason: "USER_SERVICE_UNAVAILABLE", message: "down" });
      published.push(userId);
    },
  });
});

const newToken = async () =>
  (await pats.create({ userId: "u1", name: `t${Math.random()}`, expireTime: undefined, scopes: [] })).record;

describe("PAT changes are published", () => {
  it("when a token is created then nothing is published (a new token is never cached as missing)", async () => {
    await newToken();
    expect(published).toEqual([]);
  });

  it("when a token is renamed, has its expiry changed, is deleted, or all the user's are deleted then the user is published each time", async () => {
    const token = await newToken();
    await pats.update({ userId: "u1", id: token.id, paths: ["name"], name: "renamed", expireTime: undefined });
    await pats.update({
      userId: "u1",
      id: token.id,
      paths: ["expire_time"],
      name: "",
      expireTime: new Date(Date.now() + 60_000),
    });
    await pats.delete({ userId: "u1", id: token.id });
    await newToken();
    expect(await pats.deleteAllForUser({ userId: "u1" })).toBe(1);
    expect(published).toEqual(["u1", "u1", "u1", "u1"]);
  });

  it("when the token is not found then the user is published all the same (a racing call may not have published yet)", async () => {
    expect(await domainOutcome(pats.delete({ userId: "u1", id: "pat_missing" }))).toBe("not-found/TOKEN_NOT_FOUND");
    expect(
      await domainOutcome(
        pats.update({ userId: "u1", id: "pat_missing", paths: ["name"], name: "x", expireTime: undefined }),
      ),
    ).toBe("not-found/TOKEN_NOT_FOUND");
    expect(published).toEqual(["u1", "u1"]);
  });

  it("when the publication fails then the change is stored but the call fails UNAVAILABLE, never OK", async () => {
    const token = await newToken();
    publishFails = true;
    expect(await domainOutcome(pats.delete({ userId: "u1", id: token.id }))).toBe(
      "unavailable/USER_SERVICE_UNAVAILABLE",
    );
    publishFails = false;
    expect((await pats.list({ userId: "u1", pageSize: 10, pageToken: "" })).totalSize).toBe(0);
  });
});
