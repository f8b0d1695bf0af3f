import { create } from "@bufbuild/protobuf";
import { anyPack, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  ImportUserResultSchema,
  StatusSchema,
  UserLogEvent,
  UserLogResult,
  type AppendUserLogRequest,
  type UserService,
} from "@roster/client";
import { actorOf, optionalDate, originOf, toConnectError, type Logger } from "@roster/runtime";
import { invalidField } from "@roster/runtime/domain-error";
import type { JsonRecord } from "../domain/custom-data.js";
import type { Identities } from "../domain/identities.js";
import { decodePageToken, encodePageToken, pageSizeOf } from "@roster/runtime/page-token";
import { requireId } from "@roster/runtime/resource-id";
import type { PasswordChanges } from "../domain/password-changes.js";
import type { PasswordSignIn } from "../domain/password-sign-in.js";
import { updatablePaths } from "../domain/user-fields.js";
import {
  checkPayload,
  checkRequestId,
  payloadFromJson,
  type NewUserLog,
  type UserLogBook,
  type UserLogQuery,
} from "../domain/user-logs.js";
import { maxImportItems, type Users } from "../domain/users.js";
import {
  credentialFromProto,
  identityToProto,
  profileFromProto,
  userFieldsFromProto,
  userLogToProto,
  userToProto,
} from "./convert.js";

export interface UserServiceDeps {
  users: Users;
  passwordSignIn: PasswordSignIn;
  passwordChanges: PasswordChanges;
  identities: Identities;
  logs: UserLogBook;
  logger: Logger;
}

/**
 * Import items prepared at once. argon2 hashes run on libuv's pool (4 threads by
 * default): a few at a time keep the cores busy without queueing every other
 * task behind a thousand hashes.
 */
const importConcurrency = 4;

const maxAppendedLogs = 100;

/** An entry another Roster service appends, checked; `prefix` names where it sits in the request. */
function appendedLogOf(request: AppendUserLogRequest, prefix: string, actor: string): NewUserLog {
  const userId = requireId(`${prefix}user_id`, request.userId);
  if (request.event === UserLogEvent.UNSPECIFIED || UserLogEvent[request.event] === undefined)
    throw invalidField(`${prefix}event`, "is required");
  if (request.result === UserLogResult.UNSPECIFIED || UserLogResult[request.result] === undefined)
    throw invalidField(`${prefix}result`, "is required");
  let payload: Record<string, unknown> = request.payload ?? {};
  if (request.payloadJson === "") checkPayload(payload, `${prefix}payload`);
  else if (request.payload !== undefined)
    throw invalidField(`${prefix}payload_json`, "must not be set together with payload");
  else payload = payloadFromJson(request.payloadJson, `${prefix}payload_json`);
  if (request.requestId !== "") checkRequestId(request.requestId, `${prefix}request_id`);
  const requestId = request.requestId === "" ? undefined : request.requestId;
  return { userId, eventType: request.event, result: request.result, actor, payload, requestId };
}

function eventsOf(events: UserLogEvent[]): number[] {
  if (events.length > 20) throw invalidField("events", "must have at most 20 entries");
  if (events.some((e) => e === UserLogEvent.UNSPECIFIED || UserLogEvent[e] === undefined)) {
    throw invalidField("events", "must name known events");
  }
  return events;
}

/** UserService handlers (all but SearchUsers): validate, call the domain, map the result. */
export function createUserServiceImpl(deps: UserServiceDeps): Omit<ServiceImpl<typeof UserService>, "searchUsers"> {
  const { users, passwordSignIn, passwordChanges, identities, logs } = deps;
  const onInternal = (err: unknown) => deps.logger.error({ err }, "import item failed");
  const createInputOf = (request: Parameters<ServiceImpl<typeof UserService>["createUser"]>[0]) => ({
    ...userFieldsFromProto(request),
    credential: credentialFromProto(request.credential),
  });

  return {
    async createUser(request, ctx) {
      return { user: userToProto(await users.create(createInputOf(request), actorOf(ctx))) };
    },

    async importUsers(request, ctx) {
      if (request.requests.length === 0 || request.requests.length > maxImportItems) {
        throw invalidField("requests", `must have 1-${maxImportItems} items`);
      }
      const inputs = request.requests.map((item) => () => createInputOf(item));
      const settled = await users.createMany(inputs, actorOf(ctx), importConcurrency);
      const results = settled.map((item) => {
        if (item.status === "fulfilled")
          return create(ImportUserResultSchema, { result: { case: "user", value: userToProto(item.value) } });
        const status = toConnectError(item.reason, onInternal);
        const details = status.details.flatMap((d) => ("desc" in d ? [anyPack(d.desc, create(d.desc, d.value))] : []));
        const error = create(StatusSchema, { code: status.code, message: status.rawMessage, details });
        return create(ImportUserResultSchema, { result: { case: "error", value: error } });
      });
      return { results };
    },

    async getUser(request) {
      return { user: userToProto(await users.get(requireId("user_id", request.userId))) };
    },

    async getUserByIdentifier(request) {
      const { case: kind, value } = request.identifier;
      if (kind === undefined) throw invalidField("identifier", "one of username, email or phone is required");
      return { user: userToProto(await users.getByIdentifier({ kind, value })) };
    },

    async updateUser(request, ctx) {
      if (request.user === undefined) throw invalidField("user", "is required");
      const id = requireId("user.id", request.user.id);
      const paths = request.updateMask?.paths ?? [];
      if (paths.length === 0) throw invalidField("update_mask", "must name at least one path", "INVALID_UPDATE_MASK");
      const bad = paths.find((p) => !updatablePaths.has(p));
      if (bad !== undefined)
        throw invalidField("update_mask", `"${bad.slice(0, 64)}" is not an updatable path`, "INVALID_UPDATE_MASK");
      const user = await users.update(id, [...new Set(paths)], userFieldsFromProto(request.user), actorOf(ctx));
      return { user: userToProto(user) };
    },

    async updateUserProfile(request, ctx) {
      const id = requireId("user_id", request.userId);
      if (request.profile === undefined) throw invalidField("profile", "is required");
      return { user: userToProto(await users.mergeProfile(id, profileFromProto(request.profile), actorOf(ctx))) };
    },

    async updateUserCustomData(request, ctx) {
      const id = requireId("user_id", request.userId);
      if (request.customData === undefined) throw invalidField("custom_data", "is required");
      return { user: userToProto(await users.mergeCustomData(id, request.customData as JsonRecord, actorOf(ctx))) };
    },

    async deleteUser(request, ctx) {
      await users.delete(requireId("user_id", request.userId), actorOf(ctx));
      return {};
    },

    async suspendUser(request, ctx) {
      const id = requireId("user_id", request.userId);
      if (request.reason.length > 1024) throw invalidField("reason", "must be at most 1024 characters");
      return { user: userToProto(await users.setSuspended(id, true, actorOf(ctx), request.reason)) };
    },

    async unsuspendUser(request, ctx) {
      return { user: userToProto(await users.setSuspended(requireId("user_id", request.userId), false, actorOf(ctx))) };
    },

    async setPassword(request, ctx) {
      const id = requireId("user_id", request.userId);
      const credential = credentialFromProto(request.credential);
      if (credential === undefined) throw invalidField("credential", "one of password or password_digest is required");
      return { user: userToProto(await passwordChanges.setPassword(id, credential, actorOf(ctx))) };
    },

    async verifyPassword(request, ctx) {
      const { case: kind, value } = request.user;
      if (kind === undefined) throw invalidField("user", "one of user_id, username, email or phone is required");
      const target = kind === "userId" ? { id: requireId("user_id", value) } : { kind, value };
      return { user: userToProto(await passwordSignIn.verify(target, request.password, actorOf(ctx))) };
    },

    async createPasswordResetCode(request, ctx) {
      const { code, expireTime } = await passwordChanges.createResetCode(
        requireId("user_id", request.userId),
        actorOf(ctx),
      );
      return { code, expireTime: timestampFromDate(expireTime) };
    },

    async consumePasswordResetCode(request, ctx) {
      return {
        user: userToProto(
          await passwordChanges.consumeResetCode(request.code, request.newPassword, actorOf(ctx), originOf(ctx)),
        ),
      };
    },

    async unlockUser(request, ctx) {
      return { user: userToProto(await passwordSignIn.unlock(requireId("user_id", request.userId), actorOf(ctx))) };
    },

    async listIdentities(request) {
      const all = await identities.list(requireId("user_id", request.userId));
      const page = pageOf(all, request.pageSize, request.pageToken, request.userId);
      return { identities: page.items.map(identityToProto), nextPageToken: page.nextPageToken, totalSize: all.length };
    },

    async linkIdentity(request, ctx) {
      const id = requireId("user_id", request.userId);
      if (request.identity === undefined) throw invalidField("identity", "is required");
      const { target, providerUserId, details } = request.identity;
      const linked = await identities.link(
        id,
        { target, providerUserId, details: (details ?? {}) as JsonRecord },
        actorOf(ctx),
      );
      return { identity: identityToProto(linked) };
    },

    async unlinkIdentity(request, ctx) {
      await identities.unlink(requireId("user_id", request.userId), request.target, actorOf(ctx));
      return {};
    },

    async listUserLogs(request) {
      const query: UserLogQuery = {
        userId: requireId("user_id", request.userId),
        events: eventsOf(request.events),
        startTime: optionalDate(request.startTime, "start_time"),
        endTime: optionalDate(request.endTime, "end_time"),
      };
      const page = await logs.list(query, request.pageSize, request.pageToken, request.includeTotal);
      return {
        userLogs: page.logs.map(userLogToProto),
        nextPageToken: page.nextPageToken,
        totalSize: page.total,
        totalSizeExact: page.totalExact,
      };
    },

    async appendUserLog(request, ctx) {
      const record = await logs.appendRecord(appendedLogOf(request, "", actorOf(ctx)));
      return { userLog: userLogToProto(record) };
    },

    async appendUserLogs(request, ctx) {
      if (request.entries.length === 0 || request.entries.length > maxAppendedLogs)
        throw invalidField("entries", `must have 1-${maxAppendedLogs} entries`);
      const actor = actorOf(ctx);
      // Every entry is checked before any is stored: bad input writes nothing.
      const entries = request.entries.map((entry, i) => appendedLogOf(entry, `entries[${i}].`, actor));
      const stored = await logs.appendRecords(entries);
      return { userLogs: request.omitUserLogs ? [] : stored.map(userLogToProto) };
    },

    async *watchUserLogs(request, ctx) {
      if (request.userId !== "") requireId("user_id", request.userId);
      const query: UserLogQuery = {
        userId: request.userId === "" ? undefined : request.userId,
        events: eventsOf(request.events),
      };
      for await (const record of logs.watch(query, ctx.signal, optionalDate(request.startTime, "start_time")))
        yield { userLog: userLogToProto(record) };
    },
  };
}

/** Identities are few (at most 20), so they page in memory by target. */
function pageOf<T extends { target: string }>(all: T[], pageSize: number, pageToken: string, userId: string) {
  const size = pageSizeOf(pageSize);
  const after = decodePageToken(pageToken, `identities|${userId}`)?.target;
  const rest = typeof after === "string" ? all.filter((i) => i.target > after) : all;
  const items = rest.slice(0, size);
  const last = items.at(-1);
  return {
    items,
    nextPageToken:
      rest.length > size && last !== undefined ? encodePageToken({ target: last.target }, `identities|${userId}`) : "",
  };
}
