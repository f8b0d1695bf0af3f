import { TokenService } from "@roster/client";
import {
  createCredentialThrottle,
  createServiceAuthGuard,
  ensureIndexes,
  ensureIndexesPresent,
  type ServiceApp,
  type ServiceAppDeps,
  type ServiceRegistration,
} from "@roster/runtime";
import { followUserAccessFeed } from "./clients/user-access-feed-client.js";
import { createUserDirectoryClient } from "./clients/user-directory-client.js";
import type { TokenServiceConfig } from "./config.js";
import { createAccessTokens } from "./crypto/access-tokens.js";
import { createKeyEncryption } from "./crypto/key-encryption.js";
import { createKeyIntegrity } from "./crypto/key-integrity.js";
import { createKeyRing } from "./crypto/signing-keys.js";
import { createAuditDelivery } from "./domain/audit-delivery.js";
import { createOutboxAuditTrail } from "./domain/audit-trail.js";
import { startAccessPreload } from "./domain/access-preload.js";
import { createCachedPatStore } from "./domain/pat-cache.js";
import { createPatManagement, patChangeHappened } from "./domain/pats.js";
import { createExchangeAndIntrospection } from "./domain/exchange-and-introspection.js";
import { createUserAccessCopy } from "./domain/user-access-copy.js";
import { createJwksRoute } from "./http/jwks-route.js";
import { encodeCreatePersonalAccessTokenResponse } from "./rpc/pat-encoding.js";
import { createTokenServiceImpl } from "./rpc/token-service.js";
import { tokenServiceIndexes } from "./storage/indexes.js";
import { createAuditOutboxRepository } from "./storage/audit-outbox-repository.js";
import { createPatRepository } from "./storage/pat-repository.js";
import { createSigningKeyRepository } from "./storage/signing-key-repository.js";

/** Wires token-service together: storage, domain and handlers meet only here. */
export async function createApp(deps: Omit<ServiceAppDeps<TokenServiceConfig>, "client">): Promise<ServiceApp> {
  const { config, db, logger, authFailures } = deps;
  await ensureIndexes(db, tokenServiceIndexes);
  const keyRing = createKeyRing({
    repository: createSigningKeyRepository(db),
    encryption: createKeyEncryption(config.signingKeySecret),
    integrity: createKeyIntegrity(config.signingKeySecret),
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    logger,
  });
  await keyRing.initialise();
  const accessTokens = createAccessTokens({
    keyRing,
    issuer: config.tokenIssuer,
    audience: config.tokenAudience,
    ttlSeconds: config.accessTokenTtlSeconds,
  });
  const store = createPatRepository(db);
  const users = createUserDirectoryClient({
    userServiceUrl: config.userServiceUrl,
    tls: config.tls,
    serviceKey: config.outgoingServiceKey,
  });
  // Exchange and introspection read user access from a copy the user-service feeds keep current (see UserAccessCopy).
  const accessCopy = createUserAccessCopy({
    fetch: users.accessOf,
    maxUsers: config.accessCopyMaxUsers,
    feeds: config.accessFeedUrls.length,
  });
  const feeds = config.accessFeedUrls.map((url, feed) =>
    followUserAccessFeed({
      url,
      feed,
      copy: accessCopy,
      tls: config.tls,
      serviceKey: config.outgoingServiceKey,
      logger,
    }),
  );
  const outbox = createAuditOutboxRepository(db);
  // Delivery calls user-service in the background, also at start-up with entries left from before (user-service
  // perhaps not up yet): on a connection of its own, so its failures never fail the calls clients make.
  const auditUsers = createUserDirectoryClient({
    userServiceUrl: config.userServiceUrl,
    tls: config.tls,
    serviceKey: config.outgoingServiceKey,
    ownConnection: true,
  });
  // A copy that starts empty (at start-up, after a feed resubscribed) is filled with every user's access in the
  // background, on the background connection, so that first uses need no round trip (see startAccessPreload).
  const preload = startAccessPreload({ copy: accessCopy, list: auditUsers.listAccess, logger });
  const delivery = createAuditDelivery({
    store: outbox,
    send: (entries) => auditUsers.appendLogs(entries),
    happened: patChangeHappened(store),
    logger,
    maxBackoffMs: config.auditRetryMaxMs,
  });
  const audit = createOutboxAuditTrail(outbox, delivery.handOff);
  // A create checks its user against the same copy (user-service when it cannot be trusted): no round trip per create.
  const patUsers = { ...users, findUser: accessCopy.accessOf };
  const common = { store, users: patUsers, audit, pepper: config.patPepper, logger };
  // Publishing PAT changes on the feed waits on every subscriber, and fails while user-service is away: on a
  // connection apart from the per-call round trips, so it never puts theirs into reconnect backoff.
  const pats = createPatManagement({
    ...common,
    maxTokensPerUser: config.maxTokensPerUser,
    tokensChanged: auditUsers.tokensChanged,
  });
  const { perAddress, perTarget } = config.rateLimits;
  const exchangeAndIntrospection = createExchangeAndIntrospection({
    ...common,
    // PAT records, like user access, are held only while the feeds keep them current (see createCachedPatStore).
    store: createCachedPatStore(store, accessCopy, {
      maxTokens: config.patCacheMaxTokens,
      maxAgeMs: config.patCacheMaxAgeMs,
    }),
    users: { ...users, accessOf: accessCopy.accessOf },
    accessTokens,
    issuer: config.tokenIssuer,
    exchangeThrottle: createCredentialThrottle("pat", { perAddress, perTarget }, authFailures),
    introspectionThrottle: createCredentialThrottle(
      "pat",
      { perAddress: config.introspectionRateLimitPerAddress, perTarget },
      authFailures,
    ),
  });
  const tokenService: ServiceRegistration<typeof TokenService> = {
    service: TokenService,
    impl: createTokenServiceImpl({ pats, exchangeAndIntrospection, keyRing }),
    encoders: { createPersonalAccessToken: encodeCreatePersonalAccessTokenResponse },
  };
  delivery.start();
  return {
    services: [tokenService as ServiceRegistration],
    // Our own access tokens are checked against the keys in MongoDB (no HTTP round trip to ourselves),
    // then their user against the access copy (user-service when it cannot be trusted), on every call.
    guard: createServiceAuthGuard(config, { keys: keyRing.getKey }, accessCopy.accessOf, authFailures),
    httpRoutes: { "/.well-known/jwks.json": createJwksRoute(keyRing) },
    ready: () => ensureIndexesPresent(db, tokenServiceIndexes),
    close: async () => {
      await delivery.stop();
      preload.stop();
      for (const feed of feeds) feed.stop();
      auditUsers.close();
      users.close();
    },
  };
}
