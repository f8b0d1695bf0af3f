import { RoleService, UserService, closeClient, createTokenServiceClient } from "@roster/client";
import {
  createCredentialThrottle,
  createServiceAuthGuard,
  ensureIndexes,
  ensureIndexesPresent,
  peerGrpcTarget,
  peerTls,
  type ServiceApp,
  type ServiceAppDeps,
  type ServiceRegistration,
} from "@roster/runtime";
import { createConsoleHandler } from "@roster/console/server";
import type { UserServiceConfig } from "./config.js";
import { createAccessFeed } from "./domain/access-feed.js";
import { createIdentities } from "./domain/identities.js";
import { createPasswordChanges } from "./domain/password-changes.js";
import { createPasswordCredentials } from "./domain/password-credentials.js";
import { createPasswordHasher } from "./domain/password-hashes.js";
import { createPasswordSignIn } from "./domain/password-sign-in.js";
import { createRegexCostChecker } from "./domain/regex-cost.js";
import { createRoles } from "./domain/roles.js";
import { createUserSearchService } from "./domain/search.js";
import { createTokenCleanupWorker } from "./domain/token-cleanup.js";
import { createUserLogBook } from "./domain/user-logs.js";
import { createPendingLogMover } from "./domain/pending-logs.js";
import { createUsers } from "./domain/users.js";
import { createAccessFeedHandlers } from "./rpc/access-feed.js";
import { createRoleServiceImpl } from "./rpc/role-service.js";
import { createSearchUsersHandler } from "./rpc/search-users.js";
import { encodeSearchUsersResponse } from "./rpc/search-users-encoding.js";
import { createUserServiceImpl } from "./rpc/user-service.js";
import { userServiceIndexes } from "./storage/indexes.js";
import { createRoleRepository } from "./storage/role-repository.js";
import { backfillSearchFields } from "./storage/search-backfill.js";
import { createTokenCleanupRepository } from "./storage/token-cleanup-repository.js";
import { createUserLogRepository } from "./storage/user-log-repository.js";
import { createUserRepository } from "./storage/user-repository.js";
import { createUserSearchStore } from "./storage/user-search-store.js";

/** Wires user-service together: storage, domain and handlers meet only here. */
export async function createApp(deps: Omit<ServiceAppDeps<UserServiceConfig>, "client">): Promise<ServiceApp> {
  const { config, db, logger, authFailures } = deps;
  const indexes = userServiceIndexes(config.userLogRetentionDays);
  await ensureIndexes(db, indexes);
  const backfilled = await backfillSearchFields(db);
  if (backfilled > 0) logger.info({ users: backfilled }, "gave existing users their search keys");

  const store = createUserRepository(db, { lookupTimeoutMs: config.mongodbTimeoutMs });
  const roleStore = createRoleRepository(db, { lookupTimeoutMs: config.mongodbTimeoutMs });
  const logs = createUserLogBook(createUserLogRepository(db));
  const appendLog = logs.append;
  // Changes write their log entries into the user's document; this moves them to the log.
  const pendingLogs = createPendingLogMover({ store, appendLogs: logs.appendMany, logger });
  const hasher = createPasswordHasher(config.argon2);
  const credentials = createPasswordCredentials({
    hasher,
    policy: { minLength: config.passwordMinLength, maxLength: config.passwordMaxLength },
  });
  const customDataLimits = { maxBytes: config.customDataMaxBytes, maxDepth: config.customDataMaxDepth };

  const tokenService = createTokenServiceClient({
    ...peerGrpcTarget(config.tokenServiceUrl, config.tls),
    credential: config.outgoingServiceKey,
  });
  const cleanupQueue = createTokenCleanupRepository(db);
  const cleanupWorker = createTokenCleanupWorker({
    queue: cleanupQueue,
    deleteTokens: async (userId) => {
      await tokenService.deleteUserPersonalAccessTokens({ userId });
    },
    userExists: async (userId) => (await store.findById(userId)) !== null,
    appendLogs: logs.appendMany,
    logger,
  });

  const accessFeed = createAccessFeed({
    ackTimeoutMs: config.accessFeedAckTimeoutMs,
    leaseMs: config.accessFeedLeaseMs,
    logger,
  });
  const accessChanged = (userId: string | undefined) => accessFeed.changed(userId);
  const users = createUsers({
    store,
    accessChanged,
    pendingLogs,
    credentials,
    customDataLimits,
    tokenCleanup: {
      enqueue: cleanupQueue.enqueue,
      dropLog: cleanupQueue.dropLog,
      release: async (userId, log) => {
        await cleanupQueue.release(userId, log);
        cleanupWorker.wake();
      },
    },
  });
  const passwordSignIn = createPasswordSignIn({
    users,
    store,
    hasher,
    appendLog,
    pendingLogs,
    lockout: {
      threshold: config.lockoutThreshold,
      windowMs: config.lockoutWindowSeconds * 1000,
      durationMs: config.lockoutDurationSeconds * 1000,
    },
  });
  const passwordChanges = createPasswordChanges({
    users,
    store,
    credentials,
    appendLog,
    pendingLogs,
    resetCodeTtlMs: config.resetCodeTtlSeconds * 1000,
    resetThrottle: createCredentialThrottle("reset_code", config.rateLimits, authFailures),
  });
  const identities = createIdentities({ users, store, pendingLogs, limits: customDataLimits });

  const regexCosts = createRegexCostChecker({ budgetMs: config.searchRegexCheckMs });
  const search = createUserSearchService({
    store: createUserSearchStore(db, {
      timeLimitMs: config.searchTimeLimitMs,
      rankedCandidates: config.searchRankedCandidates,
    }),
    regexCostOf: regexCosts.costOf,
  });
  const searchUsers = createSearchUsersHandler({ search, logger });
  const userService: ServiceRegistration<typeof UserService> = {
    service: UserService,
    impl: {
      ...createUserServiceImpl({ users, passwordSignIn, passwordChanges, identities, logs, logger }),
      searchUsers,
    },
    encoders: { searchUsers: encodeSearchUsersResponse },
  };
  const roleService: ServiceRegistration<typeof RoleService> = {
    service: RoleService,
    impl: {
      ...createRoleServiceImpl({
        roles: createRoles({ store: roleStore, pendingLogs, accessChanged }),
      }),
      ...createAccessFeedHandlers(accessFeed),
    },
  };

  // Access tokens are checked against the user as stored here now, on every call.
  const guard = createServiceAuthGuard(
    config,
    { jwksUrl: config.jwksUrl, jwksTls: peerTls(config.tls) },
    async (userId) => (await roleStore.userAccess(userId)) ?? undefined,
    authFailures,
  );
  const consoleHandler =
    config.console &&
    createConsoleHandler({
      ...config.console,
      guard,
      maxMessageBytes: config.maxMessageBytes,
      tls: peerTls(config.tls),
    });

  cleanupWorker.start();
  pendingLogs.start();
  return {
    services: [userService as ServiceRegistration, roleService as ServiceRegistration],
    guard,
    httpFallback: consoleHandler || undefined,
    ready: () => ensureIndexesPresent(db, indexes),
    close: async () => {
      await cleanupWorker.stop();
      await pendingLogs.stop();
      closeClient(tokenService);
      await regexCosts.close();
    },
  };
}
