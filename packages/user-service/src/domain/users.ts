import { randomUUID } from "node:crypto";
import { UserLogEvent } from "@roster/client/contract";
import { DomainError, isDomainError, notFound } from "@roster/runtime/domain-error";
import { settleBounded } from "../lib/settle-bounded.js";
import { checkCustomData, mergePatch, type CustomDataLimits, type JsonRecord } from "./custom-data.js";
import { normaliseEmail, normalisePhone, normaliseUsername } from "./identifiers.js";
import { checkProfile, mergeProfile, profileOf, type ProfileClaims, type ProfileInput } from "./profile.js";
import type { PasswordCredential, PasswordCredentials } from "./password-credentials.js";
import { pendingLog, type PendingLogMover } from "./pending-logs.js";
import type { TokenCleanupQueue } from "./token-cleanup.js";
import type { PendingUserLog } from "./user-logs.js";
import { userFieldPaths, userFieldsOf, type UserFieldPath, type UserFieldsInput } from "./user-fields.js";
import type { IdentifierKind, UserPatch, UserRecord, UserStore } from "./user-store.js";
import { publishingAccess, type AccessChanged } from "./access-feed.js";

export interface CreateUserInput extends UserFieldsInput {
  profile: ProfileInput;
  customData: JsonRecord;
  credential?: PasswordCredential;
}

export type UserUpdateInput = UserFieldsInput & { profile: ProfileInput; customData: JsonRecord };

export type Identifier = { kind: IdentifierKind; value: string };

export const maxImportItems = 1_000;

/** An identifier in the normalised form users are looked up by; the field named on bad input is the identifier's. */
export function normaliseIdentifier({ kind, value }: Identifier): Identifier {
  const normalise: Record<IdentifierKind, () => string> = {
    username: () => normaliseUsername(value, "username").key,
    email: () => normaliseEmail(value, "email"),
    phone: () => normalisePhone(value, "phone"),
  };
  return { kind, value: normalise[kind]() };
}

/** Moves ALREADY_EXISTS field names under the request path they came from (e.g. `user.username`). */
function underPrefix(err: unknown, prefix: string): unknown {
  if (!isDomainError(err) || prefix === "" || err.fieldViolations.length === 0) return err;
  return new DomainError(err.kind, {
    reason: err.reason,
    message: err.message,
    fieldViolations: err.fieldViolations.map((v) => ({ ...v, field: prefix + v.field })),
    metadata:
      err.metadata.field === undefined ? { ...err.metadata } : { ...err.metadata, field: prefix + err.metadata.field },
  });
}

function pickProfile(current: UserRecord, input: ProfileInput, paths: string[]): ProfileClaims {
  const claims: Record<string, string> = {};
  let address: Record<string, string> | undefined;
  for (const path of paths) {
    const claim = path.slice("profile.".length).replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (claim === "address")
      address = {
        formatted: "",
        streetAddress: "",
        locality: "",
        region: "",
        postalCode: "",
        country: "",
        ...input.address,
      };
    else claims[claim] = input.claims[claim] ?? "";
  }
  return mergeProfile(current.profile as Record<string, string>, { claims, address });
}

const userNotFound = (id: string) => notFound("USER_NOT_FOUND", "no user with that id", { user_id: id });

export interface UsersDeps {
  store: UserStore;
  /** Moves the log entries a change wrote into the user's document (or a deletion into its cleanup task) to the log. */
  pendingLogs: Pick<PendingLogMover, "settle" | "record">;
  credentials: PasswordCredentials;
  customDataLimits: CustomDataLimits;
  /** The durable cleanup of a deleted user's tokens, which holds the deletion's log entry. */
  tokenCleanup: Pick<TokenCleanupQueue, "enqueue" | "release" | "dropLog">;
  /** Publishes a change of a user's access (suspension, deletion, username) to token-service's copies. */
  accessChanged?: AccessChanged;
  now?: () => Date;
}

/** The user lifecycle: create, read, update, delete, suspend. */
export function createUsers(deps: UsersDeps) {
  const { store, customDataLimits: limits } = deps;
  const now = deps.now ?? (() => new Date());

  const settle = (userId: string, entries: PendingUserLog[]) => deps.pendingLogs.settle([{ userId, entries }]);

  /** A new user from validated input, its password hashed; nothing is written. */
  async function prepare(input: CreateUserInput): Promise<UserRecord> {
    const fields = userFieldsOf(input, "");
    checkProfile(input.profile, "profile");
    checkCustomData(input.customData, limits, "custom_data");
    const password = input.credential === undefined ? undefined : await deps.credentials.prepare(input.credential, "");
    const time = now();
    const user: UserRecord = {
      ...fields,
      id: randomUUID(),
      profile: profileOf(input.profile),
      customData: input.customData,
      identities: [],
      roleIds: [],
      suspended: false,
      tokenEpoch: 0,
      createTime: time,
      updateTime: time,
      failedAttempts: { count: 0 },
      ...(password === undefined ? {} : { password: { ...password, setTime: time } }),
    };
    for (const key of Object.keys(user) as (keyof UserRecord)[]) if (user[key] === undefined) delete user[key];
    return user;
  }

  async function insertNew(user: UserRecord, actor: string): Promise<UserRecord> {
    const entry = pendingLog(UserLogEvent.USER_CREATED, actor, { hasPassword: user.password !== undefined }, now());
    await store.insert(user, [entry]);
    await settle(user.id, [entry]);
    return user;
  }

  async function get(id: string): Promise<UserRecord> {
    const user = id === "" ? null : await store.findById(id);
    if (user === null) throw userNotFound(id);
    return user;
  }

  /** Looks a user up by a normalised identifier; the field named on bad input is the identifier's. */
  function findByIdentifier(identifier: Identifier): Promise<UserRecord | null> {
    const { kind, value } = normaliseIdentifier(identifier);
    return store.findByIdentifier(kind, value);
  }

  async function patchLogged(
    id: string,
    patch: UserPatch,
    actor: string,
    event: UserLogEvent,
    payload: Record<string, unknown>,
  ): Promise<UserRecord> {
    const entry = pendingLog(event, actor, payload, now());
    const user = await store.patch(id, { ...patch, logs: [entry] });
    if (user === null) throw userNotFound(id);
    await settle(id, [entry]);
    return user;
  }

  async function updateFields(
    id: string,
    paths: readonly string[],
    values: UserUpdateInput,
    actor: string,
  ): Promise<UserRecord> {
    const current = await get(id);
    // Only masked fields are read (AIP-134): an unmasked value is neither validated nor written.
    const masked = { ...values };
    for (const [path, field] of Object.entries(userFieldPaths)) {
      if (!paths.includes(path) && typeof masked[field] === "string") Object.assign(masked, { [field]: "" });
    }
    const fields = userFieldsOf(masked, "user.");
    const set: UserPatch["set"] = {};
    const unset: NonNullable<UserPatch["unset"]> = [];
    for (const path of paths) {
      const field = userFieldPaths[path as UserFieldPath];
      if (field === undefined) continue;
      if (fields[field] === undefined) unset.push(field);
      else Object.assign(set, { [field]: fields[field] });
    }
    const profilePaths = paths.filter((p) => p === "profile" || p.startsWith("profile."));
    if (profilePaths.length > 0) {
      checkProfile(values.profile, "user.profile");
      set.profile = profilePaths.includes("profile")
        ? profileOf(values.profile)
        : pickProfile(current, values.profile, profilePaths);
    }
    if (paths.includes("custom_data")) {
      checkCustomData(values.customData, limits, "user.custom_data");
      set.customData = values.customData;
    }
    set.updateTime = now();
    const entry = pendingLog(UserLogEvent.USER_UPDATED, actor, { paths: [...paths] }, set.updateTime);
    const user = await store.patch(id, { set, unset, logs: [entry] }).catch((err: unknown) => {
      throw underPrefix(err, "user.");
    });
    if (user === null) throw userNotFound(id);
    await settle(id, [entry]);
    return user;
  }

  async function deleteFound(id: string, actor: string): Promise<void> {
    // The user's document goes, so its cleanup task holds the entry (or an earlier call's, whose deletion may have
    // happened, until this one's is known to have).
    const entry = pendingLog(UserLogEvent.USER_DELETED, actor, {}, now());
    await deps.tokenCleanup.enqueue(id, entry);
    if (!(await store.delete(id))) {
      await deps.tokenCleanup.dropLog(id, entry.id);
      throw userNotFound(id);
    }
    await deps.pendingLogs.record(id, [entry]);
    // If this fails, the task runs once its grace is over, holding an entry of the deletion.
    await deps.tokenCleanup.release(id, entry).catch(() => undefined);
  }

  async function setFoundSuspended(
    current: UserRecord,
    suspended: boolean,
    actor: string,
    reason: string,
  ): Promise<UserRecord> {
    if (current.suspended === suspended) return current;
    const event = suspended ? UserLogEvent.USER_SUSPENDED : UserLogEvent.USER_UNSUSPENDED;
    // A new epoch revokes every access token minted before the suspension, also once it is lifted.
    const patch: UserPatch = { set: { suspended, updateTime: now() }, inc: suspended ? { tokenEpoch: 1 } : undefined };
    return patchLogged(current.id, patch, actor, event, reason === "" ? {} : { reason });
  }

  return {
    get,
    findByIdentifier,
    /** Applies a patch and logs `event`; NOT_FOUND when the user is gone. */
    patchLogged,

    async create(input: CreateUserInput, actor: string): Promise<UserRecord> {
      return insertNew(await prepare(input), actor);
    },

    /**
     * Creates many users, each independently: preparing them (validation and
     * password hashing, the slow part) runs `concurrency` at a time, inserting
     * runs in request order, so of two items claiming one identifier the first wins.
     * An input that cannot even be read is a thunk that throws.
     */
    async createMany(
      inputs: readonly (() => CreateUserInput)[],
      actor: string,
      concurrency: number,
    ): Promise<PromiseSettledResult<UserRecord>[]> {
      const prepared = await settleBounded(inputs, concurrency, (input) => prepare(input()));
      const results: PromiseSettledResult<UserRecord>[] = [];
      for (const item of prepared) {
        if (item.status === "rejected") results.push(item);
        else
          results.push(
            await insertNew(item.value, actor).then(
              (value) => ({ status: "fulfilled", value }) as const,
              (reason: unknown) => ({ status: "rejected", reason }) as const,
            ),
          );
      }
      return results;
    },

    async getByIdentifier(identifier: Identifier): Promise<UserRecord> {
      const user = await findByIdentifier(identifier);
      if (user === null) throw notFound("USER_NOT_FOUND", `no user with that ${identifier.kind}`);
      return user;
    },

    /**
     * Applies the paths of a field mask (already checked against the allowed
     * set): identifiers re-normalised, empty values unset.
     */
    async update(id: string, paths: readonly string[], values: UserUpdateInput, actor: string): Promise<UserRecord> {
      // Introspection reports the username.
      if (paths.includes("username"))
        return publishingAccess(deps.accessChanged, id, () => updateFields(id, paths, values, actor));
      return updateFields(id, paths, values, actor);
    },

    async mergeProfile(id: string, input: ProfileInput, actor: string): Promise<UserRecord> {
      checkProfile(input, "profile");
      const current = await get(id);
      const profile = mergeProfile(current.profile as Record<string, string>, input);
      return patchLogged(id, { set: { profile, updateTime: now() } }, actor, UserLogEvent.USER_UPDATED, {
        paths: ["profile"],
      });
    },

    async mergeCustomData(id: string, patch: JsonRecord, actor: string): Promise<UserRecord> {
      checkCustomData(patch, limits, "custom_data");
      const current = await get(id);
      const customData = mergePatch(current.customData as JsonRecord, patch);
      checkCustomData(customData, limits, "custom_data");
      return patchLogged(id, { set: { customData, updateTime: now() } }, actor, UserLogEvent.USER_UPDATED, {
        paths: ["custom_data"],
        keys: Object.keys(patch).slice(0, 50),
      });
    },

    /**
     * Deletes the user; role assignments live on the user, so they go with
     * it. The token cleanup, holding the deletion's log entry, is enqueued
     * first and due only after a grace the deletion makes due at once: if the
     * process dies between the writes, the worker sees whether the user is
     * gone, then logs the deletion and deletes its tokens, or drops the task.
     */
    async delete(id: string, actor: string): Promise<void> {
      await get(id);
      await publishingAccess(deps.accessChanged, id, () => deleteFound(id, actor));
    },

    async setSuspended(id: string, suspended: boolean, actor: string, reason = ""): Promise<UserRecord> {
      const current = await get(id);
      return publishingAccess(deps.accessChanged, id, () => setFoundSuspended(current, suspended, actor, reason));
    },
  };
}

export type Users = ReturnType<typeof createUsers>;
