import { Code, ConnectError } from "@connectrpc/connect";
import {
  closeClient,
  createRoleServiceClient,
  createUserServiceClient,
  UserLogEvent,
  UserLogResult,
  type GetUserAccessResponse,
  type RosterClientOptions,
} from "@roster/client";
import { peerGrpcTarget, type TlsConfig } from "@roster/runtime";
import { DomainError } from "@roster/runtime/domain-error";
import type { ListAccess, PatLogEvent, TokensChanged, UserAccess, UserDirectory } from "../domain/user-directory.js";
import { batchAccessReads } from "./access-batches.js";

const logEvents: Record<PatLogEvent, UserLogEvent> = {
  "pat-created": UserLogEvent.PAT_CREATED,
  "pat-updated": UserLogEvent.PAT_UPDATED,
  "pat-revoked": UserLogEvent.PAT_REVOKED,
  "pat-exchanged": UserLogEvent.PAT_EXCHANGED,
};

/** Codes that mean "user-service could not answer now", as opposed to a refusal. */
const transient = new Set([
  Code.Unavailable,
  Code.DeadlineExceeded,
  Code.Canceled,
  Code.ResourceExhausted,
  Code.Aborted,
]);

/**
 * Turns a failed call into UNAVAILABLE when user-service is down or slow.
 * Any other refusal (a bad service credential, say) is a fault of this
 * deployment, reported as an internal error with its cause, never relayed:
 * user-service's UNAUTHENTICATED is not the caller's.
 */
function upstreamError(operation: string, err: unknown): Error {
  if (err instanceof ConnectError && transient.has(err.code)) {
    return new DomainError("unavailable", {
      reason: "USER_SERVICE_UNAVAILABLE",
      message: "user-service is unavailable; retry later",
      cause: err,
    });
  }
  return new Error(`user-service ${operation} failed`, { cause: err });
}

/**
 * grpc-js channel options for a connection of a client's own. grpc-js shares
 * subchannels between channels to the same target, so a background caller that
 * fails to connect (user-service not up yet, a relay cut) would otherwise put
 * the per-call round trips into reconnect backoff, and they would fail fast
 * with UNAVAILABLE although user-service answers.
 */
export const ownConnection = { "grpc.use_local_subchannel_pool": 1 } as const;

/** Longer than user-service's default acknowledgement timeout plus lease (2 s + 5 s), with room for a slow machine. */
const publishTimeoutMs = 30_000;

/** Users per ListUserAccess page: the most user-service returns. */
const accessPageSize = 100;

const accessFromProto = (access: GetUserAccessResponse): UserAccess => ({
  id: access.userId,
  username: access.username,
  suspended: access.suspended,
  tokenEpoch: access.tokenEpoch,
  permissions: access.permissions,
});

/** UserDirectory over user-service's gRPC port, with token-service's own service credential. */
export function createUserDirectoryClient(options: {
  userServiceUrl: string;
  tls: TlsConfig;
  serviceKey: string | undefined;
  timeoutMs?: number;
  /** Connect apart from every other client (see ownConnection): for callers that retry in the background. */
  ownConnection?: boolean;
}): UserDirectory & { tokensChanged: TokensChanged; listAccess: ListAccess; close(): void } {
  const clientOptions: RosterClientOptions = {
    ...peerGrpcTarget(options.userServiceUrl, options.tls),
    credential: options.serviceKey,
    timeoutMs: options.timeoutMs ?? 5_000,
    ...(options.ownConnection === true ? { channelOptions: ownConnection } : {}),
  };
  const users = createUserServiceClient(clientOptions);
  const roles = createRoleServiceClient(clientOptions);
  /** An id user-service cannot even parse names no user either. */
  const absent = (err: unknown) =>
    err instanceof ConnectError && (err.code === Code.NotFound || err.code === Code.InvalidArgument);
  return {
    async findUser(userId) {
      try {
        const { user } = await users.getUser({ userId });
        return user === undefined ? undefined : { id: user.id, username: user.username, suspended: user.suspended };
      } catch (err) {
        if (absent(err)) return undefined;
        throw upstreamError("GetUser", err);
      }
    },
    // Reads of several users' access that arrive together share one call (see batchAccessReads).
    accessOf: batchAccessReads(async (userIds) => {
      try {
        const { accesses } = await roles.batchGetUserAccess({ userIds: [...userIds] });
        return accesses.map(accessFromProto);
      } catch (err) {
        throw upstreamError("BatchGetUserAccess", err);
      }
    }),
    async listAccess(pageToken) {
      try {
        const page = await roles.listUserAccess({ pageSize: accessPageSize, pageToken });
        return { accesses: page.accesses.map(accessFromProto), nextPageToken: page.nextPageToken };
      } catch (err) {
        throw upstreamError("ListUserAccess", err);
      }
    },
    async appendLogs(entries) {
      try {
        await users.appendUserLogs({
          entries: entries.map(({ entry, requestId }) => ({
            userId: entry.userId,
            event: logEvents[entry.event],
            result: entry.success ? UserLogResult.SUCCESS : UserLogResult.FAILURE,
            // As JSON text: a Struct costs several times as much to encode here and to decode there.
            payloadJson: JSON.stringify(entry.payload),
            requestId,
          })),
          // Delivery needs only to know they are stored, not the stored entries back.
          omitUserLogs: true,
        });
      } catch (err) {
        throw upstreamError("AppendUserLogs", err);
      }
    },
    async tokensChanged(userId) {
      try {
        // Waits as long as user-service waits for a stalled subscriber (its acknowledgement timeout, then its lease).
        await roles.publishUserTokensChanged({ userId }, { timeoutMs: publishTimeoutMs });
      } catch (err) {
        if (err instanceof ConnectError && transient.has(err.code)) {
          throw new DomainError("unavailable", {
            reason: "USER_SERVICE_UNAVAILABLE",
            message:
              "the change is stored, but user-service could not confirm that no instance still answers from the old token; retry",
            cause: err,
          });
        }
        throw upstreamError("PublishUserTokensChanged", err);
      }
    },
    close() {
      closeClient(users);
      closeClient(roles);
    },
  };
}
