import { describe, expect, it } from "vitest";
import { isDomainError } from "@roster/runtime/domain-error";
import { createIdentities, maxIdentities } from "./identities.js";
import { createPasswordCredentials } from "./password-credentials.js";
import { createPasswordHasher } from "./password-hashes.js";
import type { IdentityRecord, UserRecord, UserStore } from "./user-store.js";
import { createUsers } from "./users.js";
import { unloggedChanges } from "../testing.js";

const limits = { maxBytes: 1024, maxDepth: 4 };

/** One user in memory: enough of the store for linking, without a database's index rules in the way. */
function oneUserStore(user: UserRecord): UserStore {
  const unused = () => Promise.reject(new Error("not used by identities"));
  return {
    insert: unused,
    findByIdentifier: unused,
    findByResetCode: unused,
    patch: unused,
    admitAttempt: unused,
    lockIfExhausted: unused,
    consumeResetCode: unused,
    pullIdentity: unused,
    delete: unused,
    clearPendingLogs: unused,
    pendingLogsBefore: unused,
    findById: (id) => Promise.resolve(id === user.id ? user : null),
    replaceIdentity: () => Promise.resolve(user),
    pushIdentity: (_id: string, identity: IdentityRecord) => {
      user.identities.push(identity);
      return Promise.resolve(user);
    },
  };
}

describe("identities.link", () => {
  it("when a user already has the maximum of identities then RESOURCE_EXHAUSTED IDENTITY_LIMIT_REACHED and nothing is added", async () => {
    const user = { id: "u1", identities: [] as IdentityRecord[] } as UserRecord;
    const store = oneUserStore(user);
    const { pendingLogs } = unloggedChanges;
    const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
    const credentials = createPasswordCredentials({ hasher, policy: { minLength: 8, maxLength: 64 } });
    const users = createUsers({
      store,
      credentials,
      customDataLimits: limits,
      ...unloggedChanges,
    });
    const identities = createIdentities({ users, store, pendingLogs, limits });
    for (let i = 0; i < maxIdentities; i++)
      await identities.link("u1", { target: `idp-${i}`, providerUserId: `p-${i}`, details: {} }, "key:admin");
    const failure = await identities
      .link("u1", { target: "one-more", providerUserId: "p", details: {} }, "key:admin")
      .catch((err: unknown) => err);
    expect(isDomainError(failure) && { kind: failure.kind, reason: failure.reason }).toEqual({
      kind: "resource-exhausted",
      reason: "IDENTITY_LIMIT_REACHED",
    });
    expect(user.identities).toHaveLength(maxIdentities);
  });
});
