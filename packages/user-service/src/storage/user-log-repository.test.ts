import { ensureIndexes } from "@roster/runtime";
import { useBackend } from "@roster/mongo-double/testing";
import { UserLogEvent, UserLogResult } from "@roster/client";
import { maxCountedMatches } from "@roster/runtime/page-token";
import { ObjectId } from "mongodb";
import { beforeAll, describe, expect, it } from "vitest";
import { userServiceIndexes } from "./indexes.js";
import { createUserLogBook, type UserLogStore } from "../domain/user-logs.js";
import { createUserLogRepository } from "./user-log-repository.js";

const backend = useBackend("user_log_repository");
let repository: UserLogStore;

beforeAll(async () => {
  await ensureIndexes(backend.db, userServiceIndexes(30));
  repository = createUserLogRepository(backend.db);
});

const entry = (userId: string, requestId?: string) => ({
  userId,
  eventType: UserLogEvent.PAT_REVOKED,
  actor: "svc",
  result: UserLogResult.SUCCESS,
  payload: { token_id: "pat_1" },
  requestId,
});

describe("idempotent appends", () => {
  it("when the same entry is delivered again with its request id then it is stored once and the first record is returned", async () => {
    const first = await repository.append(entry("u-redeliver", "aud_0001"));
    const again = await repository.append(entry("u-redeliver", "aud_0001"));
    const concurrent = await Promise.all([1, 2, 3].map(() => repository.append(entry("u-redeliver", "aud_0001"))));
    expect(again.id).toBe(first.id);
    expect(concurrent.map((r) => r.id)).toEqual([first.id, first.id, first.id]);
    expect(await repository.count({ userId: "u-redeliver" })).toBe(1);
  });

  it("when entries carry no request id or different ones then each is stored", async () => {
    await repository.append(entry("u-distinct"));
    await repository.append(entry("u-distinct"));
    await repository.append(entry("u-distinct", "aud_0002"));
    await repository.append(entry("u-distinct", "aud_0003"));
    expect(await repository.count({ userId: "u-distinct" })).toBe(4);
  });

  it("when a batch holds redelivered entries then the others are stored once, in order, and each redelivery answers with the stored entry", async () => {
    const earlier = await repository.append(entry("u-batch", "aud_0101"));
    const batch = [
      entry("u-batch", "aud_0100"),
      entry("u-batch", "aud_0101"),
      entry("u-batch"),
      entry("u-batch", "aud_0100"),
      entry("u-batch", "aud_0102"),
    ];
    const records = await repository.appendAll(batch);
    expect(records).toHaveLength(5);
    expect(records[1]!.id).toBe(earlier.id);
    expect(records[3]!.id).toBe(records[0]!.id);
    const stored = await repository.list({ userId: "u-batch" }, 10);
    // Newest first: the batch's three new entries after the earlier one, in the batch's order.
    expect(stored.map((r) => r.id)).toEqual([records[4]!.id, records[2]!.id, records[0]!.id, earlier.id]);
    const again = await repository.appendAll(batch);
    expect(again.map((r) => r.id).filter((id, i) => batch[i]!.requestId !== undefined)).toEqual(
      records.map((r) => r.id).filter((id, i) => batch[i]!.requestId !== undefined),
    );
    expect(await repository.count({ userId: "u-batch" })).toBe(5);
  });
});

describe("pages of a user's log", () => {
  it("when pages are listed without include_total then the log is never counted, and total_size is a lower bound that is exact on the last page", async () => {
    for (let i = 0; i < 5; i++) await repository.append(entry("u-pages"));
    let counts = 0;
    const book = createUserLogBook({ ...repository, count: (query) => (counts++, repository.count(query)) });
    const query = { userId: "u-pages" };
    const first = await book.list(query, 2, "");
    expect([first.logs.length, first.total, first.totalExact]).toEqual([2, 3, false]);
    const second = await book.list(query, 2, first.nextPageToken);
    expect([second.logs.length, second.total, second.totalExact]).toEqual([2, 5, false]);
    const last = await book.list(query, 2, second.nextPageToken);
    expect([last.logs.length, last.total, last.totalExact, last.nextPageToken]).toEqual([1, 5, true, ""]);
    expect(counts).toBe(0);
    // Asked for, the total is counted, and exact on every page.
    const counted = await book.list(query, 2, "", true);
    expect([counted.total, counted.totalExact, counts]).toEqual([5, true, 1]);
    // A token whose count of listed entries is not one the service issued is refused.
    const issued = JSON.parse(Buffer.from(first.nextPageToken, "base64url").toString("utf8"));
    for (const n of [-1, 1.5, "2"]) {
      const forged = Buffer.from(JSON.stringify({ ...issued, c: { ...issued.c, n } })).toString("base64url");
      await expect(book.list(query, 2, forged)).rejects.toMatchObject({ reason: "INVALID_PAGE_TOKEN" });
    }
  });

  it("when include_total is asked of a log past 10,000 entries then the count stops at 10,001, and the total says it is a lower bound", async () => {
    const many = Array.from({ length: maxCountedMatches + 5 }, (_, i) => ({
      _id: new ObjectId(),
      userId: "u-many",
      event: UserLogEvent.PAT_EXCHANGED,
      actor: "svc",
      result: UserLogResult.SUCCESS,
      payload: {},
      createTime: new Date(Date.UTC(2026, 0, 1) + i),
    }));
    await backend.db.collection("user_logs").insertMany(many);
    const limits: (number | undefined)[] = [];
    const book = createUserLogBook({
      ...repository,
      count: (query, limit) => (limits.push(limit), repository.count(query, limit)),
    });
    const page = await book.list({ userId: "u-many" }, 2, "", true);
    expect([page.total, page.totalExact, limits]).toEqual([maxCountedMatches + 1, false, [maxCountedMatches + 1]]);
    expect(await repository.count({ userId: "u-many" })).toBe(maxCountedMatches + 5);
  });
});
