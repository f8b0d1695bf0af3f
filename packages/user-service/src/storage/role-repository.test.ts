import { UserLogEvent } from "@roster/client";
import { createLogger, ensureIndexes } from "@roster/runtime";
import { isDomainError } from "@roster/runtime/domain-error";
import { maxCountedMatches } from "@roster/runtime/page-token";
import type { CommandStartedEvent } from "mongodb";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRoles, type Roles } from "../domain/roles.js";
import { createPendingLogMover } from "../domain/pending-logs.js";
import type { NewUserLog } from "../domain/user-logs.js";
import { createUserRepository } from "./user-repository.js";
import { roleIndexes } from "./role-indexes.js";
import { createRoleRepository } from "./role-repository.js";
import { useBackend } from "@roster/mongo-double/testing";
import type { UserDocument } from "./user-document.js";
import { userDocument } from "../testing.js";

const testDb = useBackend("roles");
const logs: NewUserLog[] = [];
/** How many entries each write of the audit trail carried. */
const appends: number[] = [];
let roles: Roles;

function userDoc(id: string): UserDocument {
  const now = new Date();
  return userDocument(id, now, now);
}

async function failure(
  promise: Promise<unknown>,
): Promise<{ kind: string; reason: string; field?: string; metadata: Record<string, string> }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isDomainError(err)) throw new Error(`expected a domain error, got ${String(err)}`);
  return { kind: err.kind, reason: err.reason, field: err.fieldViolations[0]?.field, metadata: { ...err.metadata } };
}

beforeAll(async () => {
  await ensureIndexes(testDb.db, roleIndexes);
  roles = createRoles({
    store: createRoleRepository(testDb.db, { lookupTimeoutMs: 5_000 }),
    pendingLogs: createPendingLogMover({
      store: createUserRepository(testDb.db, { lookupTimeoutMs: 5_000 }),
      appendLogs: async (entries) => {
        appends.push(entries.length);
        // The request id is random; what the entry says is what these tests check.
        logs.push(...entries.map(({ requestId: _, ...entry }) => entry));
      },
      logger: createLogger("test", "fatal"),
    }),
  });
});

beforeEach(async () => {
  logs.length = 0;
  await testDb.db.collection("roles").deleteMany({});
  await testDb.db.collection<UserDocument>("users").deleteMany({});
  await testDb.db.collection<UserDocument>("users").insertMany(["u1", "u2", "u3"].map(userDoc));
});

describe("role CRUD", () => {
  it("when a role is created then permissions are de-duplicated and sorted and it can be read back", async () => {
    const role = await roles.create({
      name: "Billing-Admin",
      description: "d",
      permissions: ["billing:write", "billing:read", "billing:write"],
    });
    expect(role.permissions).toEqual(["billing:read", "billing:write"]);
    expect(await roles.get(role.id)).toMatchObject({ name: "Billing-Admin" });
    expect(await testDb.db.collection("roles").findOne({ _id: role.id as never })).toMatchObject({
      nameKey: "billing-admin",
    });
  });

  it("when a name differs only in case then ALREADY_EXISTS ROLE_NAME_TAKEN and nothing is written", async () => {
    await roles.create({ name: "Admin", description: "", permissions: [] });
    expect(await failure(roles.create({ name: "ADMIN", description: "", permissions: [] }))).toMatchObject({
      kind: "already-exists",
      reason: "ROLE_NAME_TAKEN",
      field: "role.name",
    });
    expect(await testDb.db.collection("roles").countDocuments()).toBe(1);
  });

  it("when a permission is not a scope string then INVALID_PERMISSION names it", async () => {
    expect(
      await failure(roles.create({ name: "x", description: "", permissions: ["ok:read", "Bad Scope"] })),
    ).toMatchObject({
      kind: "invalid-argument",
      reason: "INVALID_PERMISSION",
      field: "role.permissions[1]",
    });
    expect(await failure(roles.create({ name: "-x", description: "", permissions: [] }))).toMatchObject({
      field: "role.name",
    });
    expect(await failure(roles.create({ name: "x", description: "d".repeat(1025), permissions: [] }))).toMatchObject({
      field: "role.description",
    });
    expect(await testDb.db.collection("roles").countDocuments()).toBe(0);
  });

  it("when a permission is service-only then SCOPE_NOT_GRANTABLE names it on create and update, and nothing is written", async () => {
    expect(
      await failure(roles.create({ name: "audit", description: "", permissions: ["roster:logs:write"] })),
    ).toMatchObject({
      kind: "invalid-argument",
      reason: "SCOPE_NOT_GRANTABLE",
      field: "role.permissions[0]",
    });
    const role = await roles.create({ name: "ops", description: "", permissions: ["ops:read"] });
    expect(
      await failure(
        roles.update(role.id, { name: "", description: "", permissions: ["ops:read", "roster:logs:write"] }, [
          "permissions",
        ]),
      ),
    ).toMatchObject({
      kind: "invalid-argument",
      reason: "SCOPE_NOT_GRANTABLE",
      field: "role.permissions[1]",
    });
    expect((await roles.get(role.id)).permissions).toEqual(["ops:read"]);
    expect(await testDb.db.collection("roles").countDocuments()).toBe(1);
  });

  it("when updating by mask then only masked fields change, and a bad mask or unknown role fails", async () => {
    const role = await roles.create({ name: "dev", description: "old", permissions: ["a"] });
    const updated = await roles.update(role.id, { name: "ignored!", description: "new", permissions: ["b", "a"] }, [
      "description",
      "permissions",
    ]);
    expect(updated).toMatchObject({ name: "dev", description: "new", permissions: ["a", "b"] });
    expect(await failure(roles.update(role.id, { name: "", description: "", permissions: [] }, []))).toMatchObject({
      reason: "INVALID_UPDATE_MASK",
    });
    expect(await failure(roles.update(role.id, { name: "", description: "", permissions: [] }, ["id"]))).toMatchObject({
      reason: "INVALID_UPDATE_MASK",
    });
    expect(
      await failure(roles.update("nope", { name: "x", description: "", permissions: [] }, ["name"])),
    ).toMatchObject({ reason: "ROLE_NOT_FOUND" });
  });

  it("when listing with a prefix and small pages then roles come by name, case-insensitively, across pages", async () => {
    for (const name of ["beta", "Alpha", "alpine", "gamma"])
      await roles.create({ name, description: "", permissions: [] });
    const first = await roles.list("AL", 1, "");
    expect(first.items.map((r) => r.name)).toEqual(["Alpha"]);
    expect(first.totalSize).toBe(2);
    const second = await roles.list("AL", 1, first.nextPageToken);
    expect(second.items.map((r) => r.name)).toEqual(["alpine"]);
    expect(second.nextPageToken).toBe("");
    expect(await failure(roles.list("b", 1, first.nextPageToken))).toMatchObject({
      reason: "INVALID_PAGE_TOKEN",
      field: "page_token",
    });
  });
});

describe("user roles", () => {
  it("when assigning twice then it is idempotent and logs only the change", async () => {
    const a = await roles.create({ name: "a", description: "", permissions: ["x:read", "y:write"] });
    const b = await roles.create({ name: "b", description: "", permissions: ["x:read", "z:all"] });
    expect((await roles.assign("u1", [b.id, a.id], "key:1")).map((r) => r.name)).toEqual(["a", "b"]);
    expect((await roles.assign("u1", [a.id], "key:1")).map((r) => r.name)).toEqual(["a", "b"]);
    expect(logs).toEqual([
      {
        userId: "u1",
        eventType: UserLogEvent.ROLES_ASSIGNED,
        actor: "key:1",
        result: 1,
        payload: { roleIds: [b.id, a.id] },
      },
    ]);
    expect(await roles.permissions("u1")).toEqual({
      permissions: ["x:read", "y:write", "z:all"],
      roleIds: [a.id, b.id],
    });
  });

  it("when a user or a role is unknown then NOT_FOUND names it and nothing is assigned", async () => {
    const a = await roles.create({ name: "a", description: "", permissions: [] });
    expect(await failure(roles.assign("nobody", [a.id], "k"))).toMatchObject({
      kind: "not-found",
      reason: "USER_NOT_FOUND",
    });
    expect(await failure(roles.assign("u1", [a.id, "ghost"], "k"))).toMatchObject({
      reason: "ROLE_NOT_FOUND",
      metadata: { role_id: "ghost" },
    });
    expect(await failure(roles.replace("u1", ["ghost"], "k"))).toMatchObject({ reason: "ROLE_NOT_FOUND" });
    expect(await failure(roles.assign("u1", [], "k"))).toMatchObject({ kind: "invalid-argument", field: "role_ids" });
    expect((await testDb.db.collection<UserDocument>("users").findOne({ _id: "u1" }))?.roleIds).toEqual([]);
    expect(logs).toEqual([]);
  });

  it("when replacing and removing then the held set follows and both directions are logged", async () => {
    const [a, b, c] = await Promise.all(
      ["a", "b", "c"].map((name) => roles.create({ name, description: "", permissions: [] })),
    );
    await roles.assign("u1", [a!.id, b!.id], "k");
    logs.length = 0;
    expect((await roles.replace("u1", [b!.id, c!.id], "k")).map((r) => r.name)).toEqual(["b", "c"]);
    expect(logs.map((l) => [l.eventType, l.payload])).toEqual([
      [UserLogEvent.ROLES_ASSIGNED, { roleIds: [c!.id] }],
      [UserLogEvent.ROLES_REMOVED, { roleIds: [a!.id] }],
    ]);
    expect((await roles.remove("u1", [c!.id, "unknown"], "k")).map((r) => r.name)).toEqual(["b"]);
    expect(await failure(roles.remove("nobody", [c!.id], "k"))).toMatchObject({ reason: "USER_NOT_FOUND" });
  });

  it("when a user would hold more than 100 roles then FAILED_PRECONDITION ROLE_LIMIT_REACHED", async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `r${i}`);
    const now = new Date();
    await testDb.db.collection("roles").insertMany(
      [...ids, "extra"].map((id) => ({
        _id: id,
        name: id,
        nameKey: id,
        description: "",
        permissions: [],
        createTime: now,
        updateTime: now,
      })) as never[],
    );
    await roles.replace("u2", ids, "k");
    expect(await failure(roles.assign("u2", ["extra"], "k"))).toMatchObject({
      kind: "failed-precondition",
      reason: "ROLE_LIMIT_REACHED",
    });
  });

  it("when a role's holders are paged without include_total then they are never counted, and the total is a lower bound, exact on the last page", async () => {
    const a = await roles.create({ name: "a", description: "", permissions: ["p"] });
    for (const u of ["u1", "u2", "u3"]) await roles.assign(u, [a.id], "k");
    const counts: unknown[] = [];
    const onStarted = (event: CommandStartedEvent) => {
      if (event.commandName === "aggregate" || event.commandName === "count") counts.push(event.command);
    };
    testDb.client.on("commandStarted", onStarted);
    try {
      const first = await roles.listRoleUsers(a.id, 2, "");
      expect([first.items.map((u) => u.id), first.totalSize, first.totalSizeExact]).toEqual([["u1", "u2"], 3, false]);
      const last = await roles.listRoleUsers(a.id, 2, first.nextPageToken);
      expect([last.items.map((u) => u.id), last.totalSize, last.totalSizeExact, last.nextPageToken]).toEqual([
        ["u3"],
        3,
        true,
        "",
      ]);
      expect(counts).toEqual([]);
      const counted = await roles.listRoleUsers(a.id, 2, "", true);
      expect([counted.totalSize, counted.totalSizeExact, counts.length]).toEqual([3, true, 1]);
    } finally {
      testDb.client.off("commandStarted", onStarted);
    }
  });

  it("when include_total is asked of a role held past 10,000 users then the count stops at 10,001, and the total says it is a lower bound", async () => {
    const a = await roles.create({ name: "a", description: "", permissions: ["p"] });
    const holders = Array.from({ length: maxCountedMatches + 5 }, (_, i) => ({
      ...userDoc(`h${String(i).padStart(5, "0")}`),
      roleIds: [a.id],
    }));
    await testDb.db.collection<UserDocument>("users").insertMany(holders);
    const page = await roles.listRoleUsers(a.id, 2, "", true);
    expect([page.items.map((u) => u.id), page.totalSize, page.totalSizeExact]).toEqual([
      ["h00000", "h00001"],
      maxCountedMatches + 1,
      false,
    ]);
  });

  it("when a role is deleted then every holder loses it and gets a ROLES_REMOVED entry", async () => {
    const a = await roles.create({ name: "a", description: "", permissions: ["p"] });
    for (const u of ["u1", "u2", "u3"]) await roles.assign(u, [a.id], "k");
    const page1 = await roles.listRoleUsers(a.id, 2, "");
    expect([page1.items.map((u) => u.id), page1.totalSize]).toEqual([["u1", "u2"], 3]);
    const page2 = await roles.listRoleUsers(a.id, 2, page1.nextPageToken);
    expect(page2.items.map((u) => u.id)).toEqual(["u3"]);
    logs.length = 0;
    await roles.delete(a.id, "k");
    expect(await testDb.db.collection<UserDocument>("users").countDocuments({ roleIds: a.id })).toBe(0);
    expect(logs.map((l) => [l.userId, l.eventType])).toEqual(
      ["u1", "u2", "u3"].map((u) => [u, UserLogEvent.ROLES_REMOVED]),
    );
    expect(await failure(roles.get(a.id))).toMatchObject({ reason: "ROLE_NOT_FOUND" });
    expect(await failure(roles.delete(a.id, "k"))).toMatchObject({ reason: "ROLE_NOT_FOUND" });
  });

  it("when a role held by 1,200 users is deleted then their entries are written a batch at a time, not one insert each", async () => {
    const a = await roles.create({ name: "wide", description: "", permissions: ["p"] });
    const holders = Array.from({ length: 1_200 }, (_, i) => `w${String(i).padStart(4, "0")}`);
    await testDb.db
      .collection<UserDocument>("users")
      .insertMany(holders.map((id) => ({ ...userDoc(id), roleIds: [a.id] })));
    logs.length = 0;
    appends.length = 0;
    await roles.delete(a.id, "k");
    expect(logs.map((l) => l.userId).sort()).toEqual(holders);
    expect(new Set(logs.map((l) => l.eventType))).toEqual(new Set([UserLogEvent.ROLES_REMOVED]));
    // One write per batch of holders the role is taken from (500 at most).
    expect(appends).toEqual([500, 500, 200]);
    // And every holder's entry left its document once it was in the log.
    expect(await testDb.db.collection("users").countDocuments({ pendingLogs: { $exists: true } })).toBe(0);
  });

  it("when listing a user's roles in pages then they come by name with a total", async () => {
    const made = await Promise.all(
      ["c", "a", "b"].map((name) => roles.create({ name, description: "", permissions: [] })),
    );
    await roles.assign(
      "u3",
      made.map((r) => r.id),
      "k",
    );
    const first = await roles.listUserRoles("u3", 2, "");
    expect([first.items.map((r) => r.name), first.totalSize]).toEqual([["a", "b"], 3]);
    expect((await roles.listUserRoles("u3", 2, first.nextPageToken)).items.map((r) => r.name)).toEqual(["c"]);
    expect(await failure(roles.listUserRoles("u1", 2, first.nextPageToken))).toMatchObject({
      reason: "INVALID_PAGE_TOKEN",
    });
  });
});

describe("a caller's access", () => {
  it("when many callers' access is read together then each gets its own user's state and permissions, and a change shows on the next read", async () => {
    const store = createRoleRepository(testDb.db, { lookupTimeoutMs: 5_000 });
    const read = await roles.create({ name: "reader", description: "", permissions: ["orders:read"] });
    const write = await roles.create({ name: "writer", description: "", permissions: ["orders:read", "orders:write"] });
    await roles.assign("u1", [read.id], "k");
    await roles.assign("u2", [read.id, write.id], "k");
    const access = await Promise.all(["u1", "u2", "u3", "nobody", "u2"].map((id) => store.userAccess(id)));
    expect(access.map((a) => a?.permissions)).toEqual([
      ["orders:read"],
      ["orders:read", "orders:write"],
      [],
      undefined,
      ["orders:read", "orders:write"],
    ]);
    expect(access[2]).toMatchObject({ userId: "u3", suspended: false, tokenEpoch: 0 });
    await roles.delete(write.id, "k");
    await testDb.db.collection<UserDocument>("users").updateOne({ _id: "u2" }, { $set: { suspended: true } });
    expect(await store.userAccess("u2")).toMatchObject({ suspended: true, permissions: ["orders:read"] });
  });

  it("when several users' permissions are asked for together then the calls share one read of the users and one of the roles", async () => {
    const read = await roles.create({ name: "reader", description: "", permissions: ["orders:read"] });
    const admin = await roles.create({ name: "Admin", description: "", permissions: ["orders:write"] });
    await roles.assign("u1", [read.id], "k");
    await roles.assign("u2", [read.id, admin.id], "k");
    const reads: { collection: string; filter: unknown }[] = [];
    const onStarted = (event: CommandStartedEvent) => {
      if (event.commandName === "find") reads.push({ collection: event.command.find, filter: event.command.filter });
    };
    testDb.client.on("commandStarted", onStarted);
    let answers: unknown[];
    try {
      answers = await Promise.all(["u1", "u2", "u3"].map((id) => roles.permissions(id)));
    } finally {
      testDb.client.off("commandStarted", onStarted);
    }
    expect(reads).toEqual([
      { collection: "users", filter: { _id: { $in: ["u1", "u2", "u3"] } } },
      { collection: "roles", filter: { _id: { $in: [read.id, admin.id] } } },
    ]);
    // Roles come by name, as they do one by one.
    expect(answers).toEqual([
      { permissions: ["orders:read"], roleIds: [read.id] },
      { permissions: ["orders:read", "orders:write"], roleIds: [admin.id, read.id] },
      { permissions: [], roleIds: [] },
    ]);
    expect(await failure(roles.permissions("nobody"))).toMatchObject({ reason: "USER_NOT_FOUND" });
  });
});
