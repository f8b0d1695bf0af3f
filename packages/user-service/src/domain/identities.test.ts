import { describe, expect, it } from "vitest";
import { isDomainError } from "@roster/runtime/domain-error";
import type { IdentityDocument, UserDocument } from "../storage/user-document.js";
import { Identities, maxIdentities } from "./identities.js";
import { PasswordService } from "./password-credentials.js";
import { PasswordHasher } from "./passwords.js";
import type { UserStore } from "./user-store.js";
import { Users } from "./users.js";

const limits = { maxBytes: 1024, maxDepth: 4 };

/** One user in memory: enough of the store for linking, without a database's index rules in the way. */
function oneUserStore(user: UserDocument): UserStore {
  const unused = () => Promise.reject(new Error("not used by identities"));
  return {
    insert: unused, findByIdentifier: unused, findByResetCode: unused, patch: unused, admitAttempt: unused, lockIfExhausted: unused,
    consumeResetCode: unused, pullIdentity: unused, delete: unused,
    findById: (id) => Promise.resolve(id === user._id ? user : null),
    replaceIdentity: () => Promise.resolve(user),
    pushIdentity: (_id: string, identity: IdentityDocument) => {
      user.identities.push(identity);
      return Promise.resolve(user);
    },
  };
}

describe("Identities.link", () => {
  it("when a user already has the maximum of identities then RESOURCE_EXHAUSTED IDENTITY_LIMIT_REACHED and nothing is added", async () => {
    const user = { _id: "u1", identities: [] as IdentityDocument[] } as UserDocument;
    const store = oneUserStore(user);
    const appendLog = () => Promise.resolve();
    const passwords = new PasswordService(new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }), { minLength: 8, maxLength: 64 });
    const users = new Users({ store, appendLog, passwords, customDataLimits: limits, enqueueTokenCleanup: () => Promise.resolve() });
    const identities = new Identities({ users, store, appendLog, limits });
    for (let i = 0; i < maxIdentities; i++) await identities.link("u1", { target: `idp-${i}`, providerUserId: `p-${i}`, details: {} }, "key:admin");
    const failure = await identities.link("u1", { target: "one-more", providerUserId: "p", details: {} }, "key:admin").catch((err: unknown) => err);
    expect(isDomainError(failure) && { kind: failure.kind, reason: failure.reason }).toEqual({ kind: "resource-exhausted", reason: "IDENTITY_LIMIT_REACHED" });
    expect(user.identities).toHaveLength(maxIdentities);
  });
});
