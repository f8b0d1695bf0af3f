export { type ApiKey, parseApiKeys, matchApiKey, sha256 } from "./api-keys.js";
export { createAuthGuard, type AuthGuardOptions } from "./auth-guard.js";
export { createAuthFailures, type AuthFailure, type AuthFailures, type CredentialKind } from "./auth-failures.js";
export { actorOf, callerKey, recheckKey, requireOwnUser, type Caller, type CredentialRefusal } from "./caller.js";
export { clientAddressKey, originOf, socketAddress, type CallOrigin } from "./client-address.js";
export { readCommonConfig, type CommonConfig, type ServiceDefaults } from "./common-config.js";
export {
  createCredentialThrottle,
  type CredentialAttempt,
  type CredentialThrottle,
  type CredentialThrottlePolicy,
} from "./credential-throttle.js";
export { createConnectHandler, type HttpRoute } from "./connect-server.js";
export {
  DomainError,
  isDomainError,
  invalidArgument,
  invalidField,
  notFound,
  alreadyExists,
  failedPrecondition,
  rateLimited,
  type DomainErrorKind,
  type FieldViolation,
} from "./domain-error.js";
export { ConfigError, EnvReader, type Env } from "./env.js";
export { statusError, toConnectError, errorDomain } from "./error-mapping.js";
export { createGrpcServer, listenGrpc, type CallGuard, type CallGuardInput } from "./grpc-server.js";
export { HealthState, ServingStatus, createHealthService } from "./health.js";
export { listenHttp, remoteAddressOf } from "./http-server.js";
export { peerGrpcTarget, peerTls } from "./peer-tls.js";
export { readTlsConfig, type TlsConfig, type TlsIdentity, type ClientAuth } from "./tls-config.js";
export { createLogger, type Logger, type LogLevel } from "./logging.js";
export { batchPerTurn, createBatchedLookup } from "./batched-lookup.js";
export {
  connectMongo,
  duplicateKeyOf,
  ensureIndexes,
  ensureIndexesPresent,
  indexesPresent,
  type CollectionIndexes,
} from "./mongo.js";
export { createReflectionServices } from "./reflection.js";
export { runService, type ServiceApp, type ServiceAppDeps, type RunServiceOptions } from "./run-service.js";
export { startServiceHost, type ServiceHost, type ServiceHostOptions } from "./service-host.js";
export {
  wrapHandlers,
  type HandlerHooks,
  type ResponseEncoder,
  type ServiceRegistration,
} from "./service-registration.js";
export { createAccessTokenVerifier, type AccessTokenVerifierOptions } from "./access-token-verifier.js";
export { accessTokenAlgorithm, accessTokenType, tokenEpochClaim } from "@roster/client/access-tokens";
export { optionalDate, optionalTimestamp } from "./proto-time.js";
export { createServiceAuthGuard, callerOfAccessToken, type AccessTokenKeys } from "./service-auth.js";
export {
  judgeAccessToken,
  type AccessTokenGrant,
  type AccessTokenRefusal,
  type AccessTokenVerdict,
  type ResolveSubject,
  type SubjectState,
} from "./access-token-subject.js";
export { retryBackoffMs } from "./retry-backoff.js";
export { BackgroundLoop } from "./background-loop.js";
