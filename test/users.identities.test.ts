import { describe, expect, it } from "vitest";
import { grpc } from "./helpers/plain-grpc.js";
import { callUsers, failureOf, unique } from "./helpers/users.js";

describe("identities", () => {
  it("when a (target, provider id) pair is linked twice across users then IDENTITY_TAKEN", async () => {
    const a = (await callUsers<{ user: { id: string } }>("createUser", { username: unique("ida_") })).user;
    const b = (await callUsers<{ user: { id: string } }>("createUser", { username: unique("idb_") })).user;
    const providerUserId = unique("gh-");
    await callUsers("linkIdentity", { userId: a.id, identity: { target: "github", providerUserId } });
    expect(
      await failureOf(() =>
        callUsers("linkIdentity", { userId: b.id, identity: { target: "github", providerUserId } }),
      ),
    ).toMatchObject({ code: grpc.status.ALREADY_EXISTS, reason: "IDENTITY_TAKEN" });
    expect(
      await failureOf(() =>
        callUsers("linkIdentity", { userId: b.id, identity: { target: "Git Hub", providerUserId: "x" } }),
      ),
    ).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, fields: ["identity.target"] });
    const listed = await callUsers<{ identities: { target: string }[]; totalSize: number }>("listIdentities", {
      userId: a.id,
    });
    expect(listed.identities.map((i) => i.target)).toEqual(["github"]);
    await callUsers("unlinkIdentity", { userId: a.id, target: "github" });
    expect(await failureOf(() => callUsers("unlinkIdentity", { userId: a.id, target: "github" }))).toMatchObject({
      code: grpc.status.NOT_FOUND,
      reason: "IDENTITY_NOT_FOUND",
    });
  });
});
