import { UserLogEvent, UserLogResult } from "@roster/client";
import { ensureIndexes } from "@roster/runtime";
import { useBackend } from "@roster/mongo-double/testing";
import type { CommandStartedEvent, Db } from "mongodb";
import { beforeAll, describe, expect, it } from "vitest";
import { pendingLog } from "../domain/pending-logs.js";
import type { UserRecord, UserStore } from "../domain/user-store.js";
import { explainedReads, stagesOf, userDocument } from "../testing.js";
import { userServiceIndexes } from "./indexes.js";
import { toUserRecord } from "./user-document.js";
import { createUserLogRepository } from "./user-log-repository.js";
import { createUserRepository } from "./user-repository.js";

// The keys below live in indexes partial on strings (string-keys.ts). MongoDB reads such an index
// only for a query that states `$type: "string"`; a plain equality makes it scan every document.
// Each test runs a repository read, then asks the database how it plans the filter that read sent.

const testDb = useBackend("user_partial_index_lookups");
let db: Db;
const sent: CommandStartedEvent[] = [];
let store: UserStore;

beforeAll(async () => {
  testDb.client.on("commandStarted", (event) => sent.push(event));
  db = testDb.db;
  await ensureIndexes(db, userServiceIndexes(90));
  store = createUserRepository(db, { lookupTimeoutMs: 5_000 });
}, 30_000);

/** The reads `work` sends to `collection` (finds and find-and-modifies), each planned as the database plans it. */
const plansOf = async (collection: string, work: () => Promise<unknown>): Promise<string[][]> =>
  (await explainedReads(testDb, collection, work)).map((explained) => stagesOf(explained.queryPlanner.winningPlan));

const time = new Date("2026-01-01T00:00:00Z");
const ada: UserRecord = toUserRecord(
  userDocument("8d3c1a52-0b7e-4a57-9f1e-6a0c2b9d4e11", time, time, {
    username: "Ada",
    email: "ada@example.com",
    phone: "+442079460000",
    name: "Ada Lovelace",
  }),
);

describe("reads through indexes partial on strings", () => {
  beforeAll(async () => {
    await store.insert(ada, []);
    // Others without the keys, so that a collection scan and an index read differ.
    await db
      .collection("users")
      .insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `other-${i}`, profile: {}, customData: {} })) as never);
  });

  it("when a user is looked up by username, email or phone then the read goes through that identifier's unique index", async () => {
    expect(await plansOf("users", () => store.findByIdentifier("username", "ada"))).toEqual([
      ["FETCH", "IXSCAN usernameKey_unique"],
    ]);
    expect(await plansOf("users", () => store.findByIdentifier("email", "ada@example.com"))).toEqual([
      ["FETCH", "IXSCAN emailKey_unique"],
    ]);
    expect(await plansOf("users", () => store.findByIdentifier("phone", "+442079460000"))).toEqual([
      ["FETCH", "IXSCAN phone_unique"],
    ]);
    expect((await store.findByIdentifier("email", "ada@example.com"))?.id).toBe(ada.id);
    expect(await store.findByIdentifier("email", "nobody@example.com")).toBeNull();
  });

  it("when users are looked up by email together then the lookups share one read, and each caller gets its own answer", async () => {
    const from = sent.length;
    const found = await Promise.all(
      ["ada@example.com", "nobody@example.com", "ada@example.com"].map((email) =>
        store.findByIdentifier("email", email),
      ),
    );
    const finds = sent.slice(from).filter((event) => event.command.find === "users");
    expect(finds.map((event) => event.command.filter)).toEqual([
      { emailKey: { $in: ["ada@example.com", "nobody@example.com"], $type: "string" } },
    ]);
    expect(found.map((user) => user?.id ?? null)).toEqual([ada.id, null, ada.id]);
    expect(found[2]).not.toBe(found[0]);
  });

  it("when a password attempt names the user by email then its admission reads the email's unique index", async () => {
    const rule = { now: time, windowStartCutoff: new Date(time.getTime() - 60_000), threshold: 5 };
    const attempt = pendingLog(UserLogEvent.SIGN_IN_FAILED, "key:admin", {}, time);
    const plans = await plansOf("users", () =>
      store.admitAttempt({ kind: "email", value: "ada@example.com" }, rule, attempt),
    );
    expect(plans).toEqual([["FETCH", "IXSCAN emailKey_unique"]]);
  });

  it("when a reset code is looked up and then redeemed then both reads go through the reset code index, not a scan of every user", async () => {
    const hash = "c0ffee".repeat(10);
    await store.patch(ada.id, { set: { resetCode: { hash, expireTime: new Date(Date.now() + 60_000) } } });
    expect(await plansOf("users", () => store.findByResetCode(hash))).toEqual([["FETCH", "IXSCAN resetCode_hash"]]);
    let redeemed: UserRecord | null = null;
    const plans = await plansOf("users", async () => {
      redeemed = await store.consumeResetCode(hash, new Date(), { set: { updateTime: new Date() } });
    });
    expect(plans).toEqual([["FETCH", "IXSCAN resetCode_hash"]]);
    expect(redeemed).toMatchObject({ id: ada.id });
    expect(await store.findByResetCode(hash)).toBeNull();
  });

  it("when an entry is delivered again then the stored one is found by its request id through that index", async () => {
    const logs = createUserLogRepository(db);
    const entry = {
      userId: ada.id,
      eventType: UserLogEvent.PAT_CREATED,
      actor: "token-service",
      result: UserLogResult.SUCCESS,
      payload: {},
      requestId: "aud_redelivered",
    };
    const [first] = await logs.appendAll([entry]);
    let again: unknown;
    const plans = await plansOf("user_logs", async () => {
      again = await logs.appendAll([entry]);
    });
    expect(plans).toEqual([["FETCH", "IXSCAN requestId_unique"]]);
    expect(again).toEqual([first]);
  });
});
