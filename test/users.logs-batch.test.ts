import { UserLogEvent, UserLogResult } from "@roster/client";
import { afterAll, describe, expect, it } from "vitest";
import { stackInfo } from "./helpers/stack-info.js";
import { refusalOf, rosterClients, uniqueName } from "./helpers/tokens.js";

const stack = stackInfo();
const service = rosterClients(stack, stack.serviceKey);
const admin = rosterClients(stack, stack.apiKey);
afterAll(() => [service, admin].forEach((c) => c.close()));

const entry = (userId: string, requestId: string) => ({
  userId,
  event: UserLogEvent.PAT_EXCHANGED,
  result: UserLogResult.SUCCESS,
  requestId,
  payload: { key: requestId },
});

/** The `key` of each PAT_EXCHANGED entry of the user, newest first. */
async function patEvents(userId: string) {
  const { userLogs } = await admin.users.listUserLogs({ userId, pageSize: 100 });
  return userLogs.filter((log) => log.event === UserLogEvent.PAT_EXCHANGED).map((log) => log.payload?.key);
}

describe("AppendUserLogs", () => {
  it("when a batch is appended twice then each entry is stored once, in order, with the service as actor", async () => {
    const { user } = await admin.users.createUser({ username: uniqueName("batch") });
    const userId = user?.id ?? "";
    const entries = [entry(userId, uniqueName("a")), entry(userId, uniqueName("b"))];
    const first = await service.users.appendUserLogs({ entries });
    const again = await service.users.appendUserLogs({ entries });
    expect(first.userLogs.map((log) => log.payload?.key)).toEqual(entries.map((e) => e.requestId));
    expect(again.userLogs.map((log) => log.id)).toEqual(first.userLogs.map((log) => log.id));
    // Newest first.
    expect(await patEvents(userId)).toEqual(entries.map((e) => e.requestId).reverse());
  });

  it("when a batch asks to omit the stored entries then they are stored all the same and the response lists none", async () => {
    const { user } = await admin.users.createUser({ username: uniqueName("batch") });
    const userId = user?.id ?? "";
    const entries = [entry(userId, uniqueName("a")), entry(userId, uniqueName("b"))];
    const reply = await service.users.appendUserLogs({ entries, omitUserLogs: true });
    expect(reply.userLogs).toEqual([]);
    expect(await patEvents(userId)).toEqual(entries.map((e) => e.requestId).reverse());
    // A redelivery of the same batch still stores nothing twice.
    await service.users.appendUserLogs({ entries, omitUserLogs: true });
    expect(await patEvents(userId)).toEqual(entries.map((e) => e.requestId).reverse());
  });

  it("when one entry of a batch is bad then INVALID_ARGUMENT names it and no entry is stored", async () => {
    const { user } = await admin.users.createUser({ username: uniqueName("batch") });
    const userId = user?.id ?? "";
    const refusal = await refusalOf(() =>
      service.users.appendUserLogs({ entries: [entry(userId, uniqueName("ok")), entry(userId, "not a request id!")] }),
    );
    expect(refusal).toEqual({ code: 3, reason: "INVALID_ARGUMENT", fields: ["entries[1].request_id"] });
    expect(await patEvents(userId)).toEqual([]);
  });

  it("when entries carry their details as JSON text then they are stored as those details", async () => {
    const { user } = await admin.users.createUser({ username: uniqueName("batch") });
    const userId = user?.id ?? "";
    const details = { key: uniqueName("json"), n: 2.5, nested: { list: [1, "two", null, true] } };
    const { payload: _payload, ...rest } = entry(userId, uniqueName("j"));
    await service.users.appendUserLogs({ entries: [{ ...rest, payloadJson: JSON.stringify(details) }] });
    const { userLogs } = await admin.users.listUserLogs({ userId, pageSize: 100 });
    expect(userLogs.filter((log) => log.event === UserLogEvent.PAT_EXCHANGED).map((log) => log.payload)).toEqual([
      details,
    ]);
  });

  it("when an entry's payload_json is no JSON object, too large, not finite or set beside payload then INVALID_ARGUMENT names it and nothing is stored", async () => {
    const { user } = await admin.users.createUser({ username: uniqueName("batch") });
    const userId = user?.id ?? "";
    const { payload: _payload, ...rest } = entry(userId, uniqueName("ok"));
    const bad: [{ payloadJson: string; payload?: { key: string } }, string][] = [
      [{ payloadJson: "{" }, "INVALID_ARGUMENT"],
      [{ payloadJson: "[1]" }, "INVALID_ARGUMENT"],
      [{ payloadJson: "null" }, "INVALID_ARGUMENT"],
      [{ payloadJson: '{"n":1e999}' }, "NON_FINITE_NUMBER"],
      [{ payloadJson: JSON.stringify({ key: "x".repeat(8_192) }) }, "INVALID_ARGUMENT"],
      [{ payloadJson: "{}", payload: { key: "both" } }, "INVALID_ARGUMENT"],
    ];
    for (const [fields, reason] of bad) {
      const second = { ...rest, requestId: uniqueName("bad"), ...fields };
      expect(await refusalOf(() => service.users.appendUserLogs({ entries: [rest, second] }))).toEqual({
        code: 3,
        reason,
        fields: ["entries[1].payload_json"],
      });
    }
    expect(await patEvents(userId)).toEqual([]);
  });

  it("when a batch is empty or too long then INVALID_ARGUMENT names entries", async () => {
    const many = Array.from({ length: 101 }, (_, i) => entry("u", `r${i}`));
    for (const entries of [[], many]) {
      expect(await refusalOf(() => service.users.appendUserLogs({ entries }))).toEqual({
        code: 3,
        reason: "INVALID_ARGUMENT",
        fields: ["entries"],
      });
    }
  });

  it("when a management key appends a batch then it is PERMISSION_DENIED: the method is service-only", async () => {
    expect((await refusalOf(() => admin.users.appendUserLogs({ entries: [entry("u", "r1")] }))).code).toBe(7);
  });
});
