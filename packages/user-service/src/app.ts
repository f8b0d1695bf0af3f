import type { Db } from "mongodb";
import { RoleService, UserService, closeClient, createTokenServiceClient } from "@roster/client";
import {
  createCredentialThrottle,
  createServiceAuthGuard,
  type AuthFailures,
  ensureIndexes,
  ensureIndexesPresent,
  peerGrpcTarget,
  peerTls,
  type Logger,
  type ServiceApp,
  type ServiceRegistration,
} from "@roster/runtime";
import { createConsoleHandler } from "@roster/console/server";
import type { UserServiceConfig } from "./config.js";
import { AccessFeed } from "./domain/access-feed.js";
import { Identities } from "./domain/identities.js";
import { createRegexCostChecker } from "./domain/regex-cost.js";
import { createUserSearchService } from "./domain/search.js";
import { PasswordService } from "./domain/password-credentials.js";
import { PasswordHasher } from "./domain/passwords.js";
import { Roles } from "./domain/roles.js";
import { SignIn } from "./domain/sign-in.js";
import { TokenCleanupWorker } from "./domain/token-cleanup.js";
import { UserLogBook } from "./domain/user-logs.js";
import { Users } from "./domain/users.js";
import { createAccessFeedHandlers } from "./rpc/access-feed.js";
import { createRoleServiceImpl } from "./rpc/role-service.js";
import { createSearchUsersHandler } from "./rpc/search-users.js";
import { createUserServiceImpl } from "./rpc/user-service.js";
import { userServiceIndexes } from "./storage/indexes.js";
import { RoleRepository } from "./storage/role-repository.js";
import { backfillSearchFields } from "./storage/search-backfill.js";
import { TokenCleanupRepository } from "./storage/token-cleanup-repository.js";
import { UserLogRepository } from "./storage/user-log-repository.js";
import { UserSearch } from "./storage/user-search.js";
import { UserRepository } from "./storage/user-repository.js";

/** Wires user-service together: storage, domain and handlers meet only here. */
export async function createApp(deps: { config: UserServiceConfig; db: Db; logger: Logger; authFailures: AuthFailures }): Promise<ServiceApp> {
  const { config, db, logger, authFailures } = deps;
  const indexes = userServiceIndexes(config.userLogRetentionDays);
  await ensureIndexes(db, indexes);
  const backfilled = await backfillSearchFields(db);
  if (backfilled > 0) logger.info({ users: backfilled }, "gave existing users their search keys");

  const store = new UserRepository(db);
  const roleStore = new RoleRepository(db);
  const logs = new UserLogBook(new UserLogRepository(db));
  const appendLog = logs.append;
  const passwords = new PasswordService(new PasswordHasher(config.argon2), {
    minLength: config.passwordMinLength,
    maxLength: config.passwordMaxLength,
  });
  const customDataLimits = { maxBytes: config.customDataMaxBytes, maxDepth: config.customDataMaxDepth };

  const tokenService = createTokenServiceClient({
    ...peerGrpcTarget(config.tokenServiceUrl, config.tls),
    credential: config.outgoingServiceKey,
  });
  const cleanupQueue = new TokenCleanupRepository(db);
  const cleanupWorker = new TokenCleanupWorker({
    queue: cleanupQueue,
    deleteTokens: async (userId) => {
      await tokenService.deleteUserPersonalAccessTokens({ userId });
    },
    userExists: async (userId) => (await store.findById(userId)) !== null,
    logger,
  });

  const accessFeed = new AccessFeed({ ackTimeoutMs: config.accessFeedAckTimeoutMs, leaseMs: config.accessFeedLeaseMs, logger });
  const accessChanged = (userId: string | undefined) => accessFeed.changed(userId);
  const users = new Users({
    store,
    accessChanged,
    appendLog,
    passwords,
    customDataLimits,
    enqueueTokenCleanup: async (userId) => {
      await cleanupQueue.enqueue(userId);
      cleanupWorker.wake();
    },
  });
  const signIn = new SignIn({
    users,
    store,
    passwords,
    appendLog,
    lockout: {
      threshold: config.lockoutThreshold,
      windowMs: config.lockoutWindowSeconds * 1000,
      durationMs: config.lockoutDurationSeconds * 1000,
    },
    resetCodeTtlMs: config.resetCodeTtlSeconds * 1000,
    resetThrottle: createCredentialThrottle("reset_code", config.rateLimits, authFailures),
  });
  const identities = new Identities({ users, store, appendLog, limits: customDataLimits });

  const regexCosts = createRegexCostChecker({ budgetMs: config.searchRegexCheckMs });
  const search = createUserSearchService({
    store: new UserSearch(db, { timeLimitMs: config.searchTimeLimitMs }),
    regexCostOf: regexCosts.costOf,
  });
  const searchUsers = createSearchUsersHandler({ search, logger });
  const userService: ServiceRegistration<typeof UserService> = {
    service: UserService,
    impl: { ...createUserServiceImpl({ users, signIn, identities, logs, logger }), searchUsers },
  };
  const roleService: ServiceRegistration<typeof RoleService> = {
    service: RoleService,
    impl: { ...createRoleServiceImpl({ roles: new Roles({ store: roleStore, appendLog, accessChanged }) }), ...createAccessFeedHandlers(accessFeed) },
  };

  // Access tokens are checked against the user as stored here now, on every call.
  const guard = createServiceAuthGuard(config, { jwksUrl: config.jwksUrl, jwksTls: peerTls(config.tls) }, async (userId) => (await roleStore.userAccess(userId)) ?? undefined, authFailures);
  const consoleHandler = config.console && createConsoleHandler({ ...config.console, guard, maxMessageBytes: config.maxMessageBytes, tls: peerTls(config.tls) });

  cleanupWorker.start();
  return {
    services: [userService as ServiceRegistration, roleService as ServiceRegistration],
    guard,
    httpFallback: consoleHandler || undefined,
    ready: () => ensureIndexesPresent(db, indexes),
    close: async () => {
      await cleanupWorker.stop();
      closeClient(tokenService);
      await regexCosts.close();
    },
  };
}
