export { type ApiKey, parseApiKeys, matchApiKey, sha256 } from "./api-keys.js";
export { createAuthGuard, type AuthGuardOptions } from "./auth-guard.js";
export { actorOf, callerKey, type Caller } from "./caller.js";
export { readCommonConfig, type CommonConfig } from "./common-config.js";
export { createConnectHandler, type HttpRoute } from "./connect-server.js";
export {
  DomainError,
  isDomainError,
  invalidArgument,
  invalidField,
  notFound,
  alreadyExists,
  failedPrecondition,
  type DomainErrorKind,
  type FieldViolation,
} from "./domain-error.js";
export { ConfigError, EnvReader, type Env } from "./env.js";
export { statusError, toConnectError, errorDomain } from "./error-mapping.js";
export { createGrpcServer, listenGrpc, type CallGuard, type CallGuardInput } from "./grpc-server.js";
export { HealthState, ServingStatus, createHealthService } from "./health.js";
export { listenHttp } from "./http-server.js";
export { peerGrpcTarget, peerTls } from "./peer-tls.js";
export { readTlsConfig, type TlsConfig, type TlsIdentity, type ClientAuth } from "./tls-config.js";
export { createLogger, type Logger, type LogLevel } from "./logging.js";
export { connectMongo, duplicateKeyOf, ensureIndexes, ensureIndexesPresent, indexesPresent, type CollectionIndexes } from "./mongo.js";
export { createReflectionServices } from "./reflection.js";
export { runService, type ServiceApp, type RunServiceOptions } from "./run-service.js";
export { startServiceHost, type ServiceHost, type ServiceHostOptions } from "./service-host.js";
export { wrapHandlers, type HandlerHooks, type ServiceRegistration } from "./service-registration.js";
export { createAccessTokenVerifier, callerOfAccessToken, accessTokenAlgorithms, accessTokenType, type AccessTokenVerifierOptions } from "./access-token-verifier.js";
export { optionalDate, optionalTimestamp } from "./proto-time.js";
export { createServiceAuthGuard, type AccessTokenKeys } from "./service-auth.js";
