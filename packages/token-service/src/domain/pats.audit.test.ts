import { beforeEach, describe, expect, it } from "vitest";
import { createAuditOutboxRepository } from "../storage/audit-outbox-repository.js";
import { createPatRepository } from "../storage/pat-repository.js";
import { fakeUserDirectory, silentLogger, useTestMongo } from "../testing.js";
import { createAuditDelivery } from "./audit-delivery.js";
import { createOutboxAuditTrail, pendingGraceMs } from "./audit-trail.js";
import type { PatStore } from "./pat-store.js";
import { createPatManagement, patChangeHappened } from "./pats.js";
import type { PatLogEntry } from "./user-directory.js";

const mongo = useTestMongo();
let clock: Date;
let users: ReturnType<typeof fakeUserDirectory>;
/** What user-service stored, in the order it arrived, by request id. */
let delivered: Map<string, PatLogEntry>;

beforeEach(() => {
  clock = new Date();
  users = fakeUserDirectory();
  users.users.set("u1", { id: "u1", username: "ada", suspended: false });
  delivered = new Map();
});

/**
 * An instance that writes its audit entries and dies before sending them: it hands nothing to
 * delivery, so the entries wait in the outbox, pending, until another instance's loop takes them up.
 */
function dyingInstance(store: PatStore = createPatRepository(mongo.db)) {
  return createPatManagement({
    store,
    users,
    audit: createOutboxAuditTrail(
      createAuditOutboxRepository(mongo.db),
      () => undefined,
      () => clock,
    ),
    pepper: "pepper",
    maxTokensPerUser: 5,
    now: () => clock,
  });
}

/** Moves the shared clock on, so what comes next is later by every instance's clock. */
const tick = () => (clock = new Date(clock.getTime() + 1));

/** An instance's delivery to a user-service that stores each entry once, by request id. */
const deliveryToTheLog = () =>
  createAuditDelivery({
    store: createAuditOutboxRepository(mongo.db),
    async send(entries) {
      for (const { entry, requestId } of entries) if (!delivered.has(requestId)) delivered.set(requestId, entry);
    },
    happened: patChangeHappened(createPatRepository(mongo.db)),
    logger: silentLogger,
    maxBackoffMs: 60_000,
    now: () => clock,
  });

/** Another instance's delivery loop, run past the dead instance's hold until the outbox is empty. */
async function deliverAfterTheHold(): Promise<void> {
  const delivery = deliveryToTheLog();
  clock = new Date(clock.getTime() + pendingGraceMs + 1);
  for (let pass = 0; pass < 20; pass++) {
    await delivery.drain();
    if ((await mongo.db.collection("audit_outbox").countDocuments()) === 0) return;
    clock = new Date(clock.getTime() + 1);
  }
  throw new Error("the outbox did not empty");
}

const events = () =>
  [...delivered.values()].map(({ event, payload }) => `${event} ${payload.token_id ?? payload.reason}`);

describe("PAT audit entries when the instance that wrote them dies", () => {
  it("when a created token is revoked before its entry is delivered then PAT_CREATED still reaches the log, before PAT_REVOKED", async () => {
    const { record } = await dyingInstance().create({ userId: "u1", name: "ci", expireTime: undefined, scopes: [] });
    await dyingInstance().delete({ userId: "u1", id: record.id });
    await deliverAfterTheHold();
    expect(events()).toEqual([`pat-created ${record.id}`, `pat-revoked ${record.id}`]);
  });

  it("when the user's tokens are all deleted before their entries are delivered then every PAT_CREATED still reaches the log", async () => {
    const creator = dyingInstance();
    const first = await creator.create({ userId: "u1", name: "a", expireTime: undefined, scopes: [] });
    const second = await creator.create({ userId: "u1", name: "b", expireTime: undefined, scopes: [] });
    expect(await dyingInstance().deleteAllForUser({ userId: "u1" })).toBe(2);
    await deliverAfterTheHold();
    expect(events()).toEqual([
      `pat-created ${first.record.id}`,
      `pat-created ${second.record.id}`,
      "pat-revoked USER_DELETED",
    ]);
  });

  it("when a user's tokens are all deleted and a token is created after that, before the deletion's entry is delivered, then PAT_REVOKED still reaches the log", async () => {
    const before = await dyingInstance().create({ userId: "u1", name: "a", expireTime: undefined, scopes: [] });
    tick();
    expect(await dyingInstance().deleteAllForUser({ userId: "u1" })).toBe(1);
    tick();
    const after = await dyingInstance().create({ userId: "u1", name: "b", expireTime: undefined, scopes: [] });
    await deliverAfterTheHold();
    expect(events()).toEqual([
      `pat-created ${before.record.id}`,
      "pat-revoked USER_DELETED",
      `pat-created ${after.record.id}`,
    ]);
  });

  it("when a create failed with its outcome open and stored nothing then no PAT_CREATED reaches the log, whatever is revoked after it", async () => {
    const { record } = await dyingInstance().create({ userId: "u1", name: "ci", expireTime: undefined, scopes: [] });
    const lostConnection: PatStore = {
      ...createPatRepository(mongo.db),
      insertWithinCap: () => Promise.reject(new Error("connection closed before the insert was sent")),
    };
    const failed = dyingInstance(lostConnection);
    await expect(failed.create({ userId: "u1", name: "other", expireTime: undefined, scopes: [] })).rejects.toThrow();
    // Its entry stays pending (the outcome was open) beside the first creation's.
    expect(await mongo.db.collection("audit_outbox").countDocuments({ confirmed: false })).toBe(2);
    await dyingInstance().delete({ userId: "u1", id: record.id });
    await deliverAfterTheHold();
    expect(events()).toEqual([`pat-created ${record.id}`, `pat-revoked ${record.id}`]);
  });

  it("when a token is renamed and then revoked before the rename's entry is delivered then PAT_UPDATED still reaches the log, between the others", async () => {
    const { record } = await dyingInstance().create({ userId: "u1", name: "ci", expireTime: undefined, scopes: [] });
    tick();
    const rename = { userId: "u1", id: record.id, paths: ["name"], name: "deploy", expireTime: undefined };
    await dyingInstance().update(rename);
    tick();
    await dyingInstance().delete({ userId: "u1", id: record.id });
    await deliverAfterTheHold();
    expect(events()).toEqual([`pat-created ${record.id}`, `pat-updated ${record.id}`, `pat-revoked ${record.id}`]);
    expect([...delivered.values()][1]?.payload).toMatchObject({ paths: "name", name: "deploy" });
  });

  it("when an update failed with its outcome open and changed nothing then no PAT_UPDATED reaches the log", async () => {
    const { record } = await dyingInstance().create({ userId: "u1", name: "ci", expireTime: undefined, scopes: [] });
    const lostConnection: PatStore = {
      ...createPatRepository(mongo.db),
      update: () => Promise.reject(new Error("connection closed before the update was sent")),
    };
    const rename = { userId: "u1", id: record.id, paths: ["name"], name: "deploy", expireTime: undefined };
    await expect(dyingInstance(lostConnection).update(rename)).rejects.toThrow();
    await deliverAfterTheHold();
    expect(events()).toEqual([`pat-created ${record.id}`]);
  });
});

describe("PAT audit entries of an instance that stays up", () => {
  it("when a create is refused because the name is taken then the user's next entries leave at once, not after the hold", async () => {
    const delivery = deliveryToTheLog();
    const pats = createPatManagement({
      store: createPatRepository(mongo.db),
      users,
      audit: createOutboxAuditTrail(createAuditOutboxRepository(mongo.db), delivery.handOff, () => clock),
      pepper: "pepper",
      maxTokensPerUser: 5,
      now: () => clock,
    });
    const { record } = await pats.create({ userId: "u1", name: "ci", expireTime: undefined, scopes: [] });
    tick();
    const refused = await pats.create({ userId: "u1", name: "ci", expireTime: undefined, scopes: [] }).catch((e) => e);
    expect(refused).toMatchObject({ kind: "already-exists", reason: "TOKEN_NAME_TAKEN" });
    tick();
    await pats.delete({ userId: "u1", id: record.id });
    // Lets what was handed to delivery go; what it cannot send now is left in the outbox for the loop.
    await delivery.stop();
    expect(events()).toEqual([`pat-created ${record.id}`, `pat-revoked ${record.id}`]);
    expect(await mongo.db.collection("audit_outbox").countDocuments()).toBe(0);
  });
});
