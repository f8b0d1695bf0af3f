import { ensureIndexes } from "@roster/runtime";
import { useBackend } from "@roster/mongo-double/testing";
import { UserLogEvent, UserLogResult } from "@roster/client";
import { beforeAll, describe, expect, it } from "vitest";
import { userServiceIndexes } from "./indexes.js";
import type { UserLogStore } from "../domain/user-logs.js";
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
});
