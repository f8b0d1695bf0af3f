import { describe, expect, it } from "vitest";
import { batchAccessReads, maxUsersPerAccessBatch } from "./access-batches.js";
import type { UserAccess } from "../domain/user-directory.js";

const accessOf = (id: string): UserAccess => ({ id, username: id, suspended: false, tokenEpoch: 0, permissions: [] });

function setup(known: readonly string[]) {
  const calls: string[][] = [];
  const read = batchAccessReads(async (userIds) => {
    calls.push([...userIds]);
    return userIds.filter((id) => known.includes(id)).map(accessOf);
  });
  return { read, calls };
}

describe("batchAccessReads", () => {
  it("when reads arrive together then they share one call and each gets its own user or undefined", async () => {
    const { read, calls } = setup(["u1", "u2"]);
    const answers = await Promise.all(["u1", "nobody", "u2", "u1"].map(read));
    expect(answers.map((access) => access?.id)).toEqual(["u1", undefined, "u2", "u1"]);
    expect(calls).toEqual([["u1", "nobody", "u2"]]);
  });

  it("when more users are read at once than one call names then the calls carry at most the limit each", async () => {
    const ids = Array.from({ length: maxUsersPerAccessBatch * 2 + 1 }, (_, i) => `u${i}`);
    const { read, calls } = setup(ids);
    expect((await Promise.all(ids.map(read))).every((access, i) => access?.id === ids[i])).toBe(true);
    expect(calls.map((call) => call.length)).toEqual([maxUsersPerAccessBatch, maxUsersPerAccessBatch, 1]);
  });

  it("when an id could name no user then it is undefined without failing or joining the call", async () => {
    const { read, calls } = setup(["u1"]);
    expect(await Promise.all(["", "u".repeat(65), "u1"].map(read))).toEqual([undefined, undefined, accessOf("u1")]);
    expect(calls).toEqual([["u1"]]);
  });

  it("when the call fails then every read of its batch fails with its error, and a later read asks again", async () => {
    let fail = true;
    const read = batchAccessReads(async (userIds) => {
      if (fail) throw new Error("user-service unavailable");
      return userIds.map(accessOf);
    });
    const failed = await Promise.allSettled([read("u1"), read("u2")]);
    expect(failed.map((outcome) => outcome.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    expect(await read("u1")).toEqual(accessOf("u1"));
  });
});
