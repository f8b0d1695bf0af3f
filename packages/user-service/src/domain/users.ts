import { randomUUID } from "node:crypto";
import { settleBounded } from "./settle-bounded.js";
import { UserLogEvent, UserLogResult } from "@roster/client/contract";
import { DomainError, invalidField, isDomainError, notFound } from "@roster/runtime/domain-error";
import type { UserDocument } from "../storage/user-document.js";
import { checkCustomData, mergePatch, type CustomDataLimits, type JsonRecord } from "./custom-data.js";
import { normaliseEmail, normalisePhone, normaliseUsername } from "./identifiers.js";
import { checkProfile, mergeProfile, profileOf, type ProfileInput } from "./profile.js";
import type { PasswordCredential, PasswordService } from "./password-credentials.js";
import { searchKeysOf } from "./search-keys.js";
import { trigramsOf } from "./trigrams.js";
import type { AppendLog } from "./user-logs.js";
import type { IdentifierKey, UserPatch, UserStore } from "./user-store.js";
import { publishingAccess, type AccessChanged } from "./access-feed.js";

/** Identifier and display fields; "" means unset. */
export interface UserFieldsInput {
  username: string;
  email: string;
  emailVerified: boolean;
  phone: string;
  phoneVerified: boolean;
  name: string;
  avatarUrl: string;
}

export interface CreateUserInput extends UserFieldsInput {
  profile: ProfileInput;
  customData: JsonRecord;
  credential?: PasswordCredential;
}

export type Identifier = { kind: "username" | "email" | "phone"; value: string };

export const maxImportItems = 1_000;

/** The stored key an identifier is looked up by, normalised; the field named on bad input is the identifier's. */
export function identifierKeyOf({ kind, value }: Identifier): { key: IdentifierKey; value: string } {
  const lookups: Record<Identifier["kind"], [IdentifierKey, () => string]> = {
    username: ["usernameKey", () => normaliseUsername(value, "username").key],
    email: ["emailKey", () => normaliseEmail(value, "email")],
    phone: ["phone", () => normalisePhone(value, "phone")],
  };
  const [key, normalise] = lookups[kind];
  return { key, value: normalise() };
}

/** Validates and normalises identifier/display fields into their stored form (undefined = unset). */
function storedFields(input: UserFieldsInput, prefix: string): Partial<UserDocument> {
  const username = input.username === "" ? undefined : normaliseUsername(input.username, `${prefix}username`);
  if ([...input.name].length > 256) throw invalidField(`${prefix}name`, "must be at most 256 characters");
  if (input.avatarUrl !== "" && !isWebUrl(input.avatarUrl)) {
    throw invalidField(`${prefix}avatar_url`, "must be an absolute http(s) URL of at most 2048 characters");
  }
  const email = input.email === "" ? undefined : normaliseEmail(input.email, `${prefix}primary_email`);
  return {
    username: username?.display,
    usernameKey: username?.key,
    email,
    emailKey: email,
    emailVerified: input.emailVerified,
    phone: input.phone === "" ? undefined : normalisePhone(input.phone, `${prefix}primary_phone`),
    phoneVerified: input.phoneVerified,
    name: input.name === "" ? undefined : input.name,
    nameKey: input.name === "" ? undefined : input.name.toLowerCase(),
    avatarUrl: input.avatarUrl === "" ? undefined : input.avatarUrl,
  };
}

function isWebUrl(value: string): boolean {
  if (value.length > 2048) return false;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/** What search looks users up by, derived from the identifier and name fields: kept in step on every write of them. */
export function searchFieldsOf(user: Partial<UserDocument>): Pick<UserDocument, "grams" | "searchKeys"> {
  return { grams: trigramsOf([user.username, user.email, user.phone, user.name]), searchKeys: searchKeysOf(user) };
}

/** Moves ALREADY_EXISTS field names under the request path they came from (e.g. `user.username`). */
function underPrefix(err: unknown, prefix: string): unknown {
  if (!isDomainError(err) || prefix === "" || err.fieldViolations.length === 0) return err;
  return new DomainError(err.kind, {
    reason: err.reason,
    message: err.message,
    fieldViolations: err.fieldViolations.map((v) => ({ ...v, field: prefix + v.field })),
    metadata: err.metadata.field === undefined ? { ...err.metadata } : { ...err.metadata, field: prefix + err.metadata.field },
  });
}

export interface UsersDeps {
  store: UserStore;
  appendLog: AppendLog;
  passwords: PasswordService;
  customDataLimits: CustomDataLimits;
  /** Enqueues the durable cleanup of a deleted user's tokens. */
  enqueueTokenCleanup(userId: string): Promise<void>;
  /** Publishes a change of a user's access (suspension, deletion, username) to token-service's copies. */
  accessChanged?: AccessChanged;
  now?: () => Date;
}

/** The user lifecycle: create, read, update, delete, suspend. */
export class Users {
  private readonly now: () => Date;

  constructor(private readonly deps: UsersDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async create(input: CreateUserInput, actor: string): Promise<UserDocument> {
    return this.insertNew(await this.prepare(input), actor);
  }

  /**
   * Creates many users, each independently: preparing them (validation and
   * password hashing, the slow part) runs `concurrency` at a time, inserting
   * runs in request order, so of two items claiming one identifier the first wins.
   * An input that cannot even be read is a thunk that throws.
   */
  async createMany(inputs: readonly (() => CreateUserInput)[], actor: string, concurrency: number): Promise<PromiseSettledResult<UserDocument>[]> {
    const prepared = await settleBounded(inputs, concurrency, (input) => this.prepare(input()));
    const results: PromiseSettledResult<UserDocument>[] = [];
    for (const item of prepared) {
      if (item.status === "rejected") results.push(item);
      else results.push(await this.insertNew(item.value, actor).then(
        (value) => ({ status: "fulfilled", value }) as const,
        (reason: unknown) => ({ status: "rejected", reason }) as const,
      ));
    }
    return results;
  }

  /** A new user document from validated input, its password hashed; nothing is written. */
  private async prepare(input: CreateUserInput): Promise<UserDocument> {
    const fields = storedFields(input, "");
    checkProfile(input.profile, "profile");
    checkCustomData(input.customData, this.deps.customDataLimits, "custom_data");
    const password = input.credential === undefined ? undefined : await this.deps.passwords.prepare(input.credential, "");
    const now = this.now();
    return {
      ...(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<UserDocument>),
      _id: randomUUID(),
      emailVerified: input.emailVerified,
      phoneVerified: input.phoneVerified,
      profile: profileOf(input.profile),
      customData: input.customData,
      identities: [],
      roleIds: [],
      suspended: false,
      ...searchFieldsOf(fields),
      createTime: now,
      updateTime: now,
      failedAttempts: { count: 0 },
      ...(password === undefined ? {} : { password: { ...password, setTime: now } }),
    };
  }

  private async insertNew(user: UserDocument, actor: string): Promise<UserDocument> {
    await this.deps.store.insert(user);
    await this.log(user._id, UserLogEvent.USER_CREATED, actor, { hasPassword: user.password !== undefined });
    return user;
  }

  async get(id: string): Promise<UserDocument> {
    const user = id === "" ? null : await this.deps.store.findById(id);
    if (user === null) throw notFound("USER_NOT_FOUND", "no user with that id", { user_id: id });
    return user;
  }

  async getByIdentifier(identifier: Identifier): Promise<UserDocument> {
    const user = await this.findByIdentifier(identifier);
    if (user === null) throw notFound("USER_NOT_FOUND", `no user with that ${identifier.kind}`);
    return user;
  }

  /** Looks a user up by a normalised identifier; the field named on bad input is the identifier's. */
  async findByIdentifier(identifier: Identifier): Promise<UserDocument | null> {
    const { key, value } = identifierKeyOf(identifier);
    return this.deps.store.findByIdentifier(key, value);
  }

  /**
   * Applies the paths of a field mask (already checked against the allowed
   * set): identifiers re-normalised, search fields recomputed, empty values unset.
   */
  async update(
    id: string,
    paths: readonly string[],
    values: UserFieldsInput & { profile: ProfileInput; customData: JsonRecord },
    actor: string,
  ): Promise<UserDocument> {
    // Introspection reports the username.
    if (paths.includes("username")) return publishingAccess(this.deps.accessChanged, id, () => this.updateFields(id, paths, values, actor));
    return this.updateFields(id, paths, values, actor);
  }

  private async updateFields(
    id: string,
    paths: readonly string[],
    values: UserFieldsInput & { profile: ProfileInput; customData: JsonRecord },
    actor: string,
  ): Promise<UserDocument> {
    const current = await this.get(id);
    // Only masked fields are read (AIP-134): an unmasked value is neither validated nor written.
    const masked = (path: string, value: string) => (paths.includes(path) ? value : "");
    const fields = storedFields(
      {
        ...values,
        username: masked("username", values.username),
        email: masked("primary_email", values.email),
        phone: masked("primary_phone", values.phone),
        name: masked("name", values.name),
        avatarUrl: masked("avatar_url", values.avatarUrl),
      },
      "user.",
    );
    const byPath: Record<string, (keyof UserDocument)[]> = {
      username: ["username", "usernameKey"],
      primary_email: ["email", "emailKey"],
      primary_email_verified: ["emailVerified"],
      primary_phone: ["phone"],
      primary_phone_verified: ["phoneVerified"],
      name: ["name", "nameKey"],
      avatar_url: ["avatarUrl"],
    };
    const set: Partial<UserDocument> = {};
    const unset: (keyof UserDocument)[] = [];
    for (const path of paths) {
      for (const key of byPath[path] ?? []) {
        const value = fields[key];
        if (value === undefined) unset.push(key);
        else Object.assign(set, { [key]: value });
      }
    }
    const profilePaths = paths.filter((p) => p === "profile" || p.startsWith("profile."));
    if (profilePaths.length > 0) {
      checkProfile(values.profile, "user.profile");
      set.profile = profilePaths.includes("profile") ? profileOf(values.profile) : this.pickProfile(current, values.profile, profilePaths);
    }
    if (paths.includes("custom_data")) {
      checkCustomData(values.customData, this.deps.customDataLimits, "user.custom_data");
      set.customData = values.customData;
    }
    Object.assign(set, searchFieldsOf({ ...current, ...set, ...Object.fromEntries(unset.map((k) => [k, undefined])) }));
    set.updateTime = this.now();
    const user = await this.deps.store.patch(id, { set, unset }).catch((err: unknown) => {
      throw underPrefix(err, "user.");
    });
    if (user === null) throw notFound("USER_NOT_FOUND", "no user with that id", { user_id: id });
    await this.log(id, UserLogEvent.USER_UPDATED, actor, { paths: [...paths] });
    return user;
  }

  private pickProfile(current: UserDocument, input: ProfileInput, paths: string[]) {
    const claims: Record<string, string> = {};
    let address: Record<string, string> | undefined;
    for (const path of paths) {
      const claim = path.slice("profile.".length).replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      if (claim === "address") address = { formatted: "", streetAddress: "", locality: "", region: "", postalCode: "", country: "", ...input.address };
      else claims[claim] = input.claims[claim] ?? "";
    }
    return mergeProfile(current.profile as Record<string, string>, { claims, address });
  }

  async mergeProfile(id: string, input: ProfileInput, actor: string): Promise<UserDocument> {
    checkProfile(input, "profile");
    const current = await this.get(id);
    const profile = mergeProfile(current.profile as Record<string, string>, input);
    return this.patchLogged(id, { set: { profile, updateTime: this.now() } }, actor, UserLogEvent.USER_UPDATED, { paths: ["profile"] });
  }

  async mergeCustomData(id: string, patch: JsonRecord, actor: string): Promise<UserDocument> {
    const limits = this.deps.customDataLimits;
    checkCustomData(patch, limits, "custom_data");
    const current = await this.get(id);
    const customData = mergePatch(current.customData as JsonRecord, patch);
    checkCustomData(customData, limits, "custom_data");
    return this.patchLogged(id, { set: { customData, updateTime: this.now() } }, actor, UserLogEvent.USER_UPDATED, {
      paths: ["custom_data"],
      keys: Object.keys(patch).slice(0, 50),
    });
  }

  /**
   * Deletes the user; role assignments live on the user document, so they go
   * with it. The token cleanup is enqueued first: if the process dies between
   * the two writes, the worker sees the user still exists and drops the task.
   */
  async delete(id: string, actor: string): Promise<void> {
    await this.get(id);
    await publishingAccess(this.deps.accessChanged, id, () => this.deleteFound(id, actor));
  }

  private async deleteFound(id: string, actor: string): Promise<void> {
    await this.deps.enqueueTokenCleanup(id);
    if (!(await this.deps.store.delete(id))) throw notFound("USER_NOT_FOUND", "no user with that id", { user_id: id });
    await this.log(id, UserLogEvent.USER_DELETED, actor, {});
  }

  async setSuspended(id: string, suspended: boolean, actor: string, reason = ""): Promise<UserDocument> {
    const current = await this.get(id);
    return publishingAccess(this.deps.accessChanged, id, () => this.setFoundSuspended(current, suspended, actor, reason));
  }

  private async setFoundSuspended(current: UserDocument, suspended: boolean, actor: string, reason: string): Promise<UserDocument> {
    const id = current._id;
    if (current.suspended === suspended) return current;
    const event = suspended ? UserLogEvent.USER_SUSPENDED : UserLogEvent.USER_UNSUSPENDED;
    // A new epoch revokes every access token minted before the suspension, also once it is lifted.
    const patch: UserPatch = { set: { suspended, updateTime: this.now() }, inc: suspended ? { tokenEpoch: 1 } : undefined };
    return this.patchLogged(id, patch, actor, event, reason === "" ? {} : { reason });
  }

  async patchLogged(id: string, patch: UserPatch, actor: string, event: UserLogEvent, payload: Record<string, unknown>): Promise<UserDocument> {
    const user = await this.deps.store.patch(id, patch);
    if (user === null) throw notFound("USER_NOT_FOUND", "no user with that id", { user_id: id });
    await this.log(id, event, actor, payload);
    return user;
  }

  private log(userId: string, eventType: UserLogEvent, actor: string, payload: Record<string, unknown>): Promise<void> {
    return this.deps.appendLog({ userId, eventType, actor, result: UserLogResult.SUCCESS, payload });
  }
}
