// The public API of @roster/client: the generated Roster, google.rpc and gRPC
// health/reflection types, and ready clients. Import from here, never from gen/.

export {
  createRosterClient,
  createUserServiceClient,
  createRoleServiceClient,
  createTokenServiceClient,
  defaultTimeoutMs,
} from "./clients.js";
export type { RosterClientOptions, GrpcJsClientConfig, ConnectClientConfig } from "./clients.js";
export { closeClient } from "./close-client.js";
export type { ClientTls, Pem } from "./client-tls.js";
export { createGrpcJsClient } from "./grpc-js-client.js";
export type { GrpcJsClientOptions } from "./grpc-js-client.js";
export { createAuthInterceptor } from "./auth-interceptor.js";
export {
  createAccessTokenVerifier,
  isSigningKeysUnavailable,
  SigningKeysUnavailableError,
  accessTokenAlgorithm,
  accessTokenType,
  tokenEpochClaim,
} from "./access-token-verifier.js";
export type { AccessTokenVerifier, AccessTokenVerifierOptions, VerifiedAccessToken } from "./access-token-verifier.js";
export { createGrpcJsAuthInterceptor, createGrpcJsDeadlineInterceptor } from "./grpc-js-interceptors.js";
export { connectErrorFromGrpc, statusDetailsTrailer } from "./status-details-decoding.js";
export type { Credential } from "./credential.js";
export {
  requiredScopes,
  selfScopes,
  managementScopes,
  serviceScopes,
  selfServiceScopes,
  checkScopes,
  isGrantableScope,
  maxScopeLength,
  scopeUsersRead,
  scopeUsersWrite,
  scopeRolesRead,
  scopeRolesWrite,
  scopeLogsRead,
  scopeLogsWrite,
  scopeAccessWatch,
  scopeTokensRead,
  scopeTokensWrite,
  scopeTokensSelf,
  scopeKeysWrite,
} from "./scopes.js";
export type { ScopeCheck, ScopeViolation } from "./scopes.js";

// roster.user.v1: users
export {
  file_roster_user_v1_user,
  UserSchema,
  UserProfileSchema,
  AddressSchema,
  IdentitySchema,
  PasswordDigestSchema,
  PasswordAlgorithm,
  PasswordAlgorithmSchema,
  SaltPosition,
  SaltPositionSchema,
} from "./gen/roster/user/v1/user_pb.js";
export type {
  User,
  UserProfile,
  Address,
  Identity,
  PasswordDigest,
} from "./gen/roster/user/v1/user_pb.js";

// roster.user.v1: search
export {
  file_roster_user_v1_query,
  UserFilterSchema,
  TextFilterSchema,
  IdsFilterSchema,
  EmailsFilterSchema,
  HasRoleFilterSchema,
  TimeRangeSchema,
  CustomDataEqualsFilterSchema,
  AndFilterSchema,
  OrFilterSchema,
  NotFilterSchema,
  UserSortSchema,
  TextField,
  TextFieldSchema,
  TextMatchMode,
  TextMatchModeSchema,
  UserSortField,
  UserSortFieldSchema,
  SortDirection,
  SortDirectionSchema,
} from "./gen/roster/user/v1/query_pb.js";
export type {
  UserFilter,
  TextFilter,
  IdsFilter,
  EmailsFilter,
  HasRoleFilter,
  TimeRange,
  CustomDataEqualsFilter,
  AndFilter,
  OrFilter,
  NotFilter,
  UserSort,
} from "./gen/roster/user/v1/query_pb.js";

// roster.user.v1: user logs
export {
  file_roster_user_v1_user_log,
  UserLogSchema,
  UserLogActorSchema,
  UserLogEvent,
  UserLogEventSchema,
  UserLogResult,
  UserLogResultSchema,
  UserLogActorType,
  UserLogActorTypeSchema,
} from "./gen/roster/user/v1/user_log_pb.js";
export type {
  UserLog,
  UserLogActor,
} from "./gen/roster/user/v1/user_log_pb.js";

// roster.user.v1: roles
export {
  file_roster_user_v1_role,
  RoleSchema,
} from "./gen/roster/user/v1/role_pb.js";
export type { Role } from "./gen/roster/user/v1/role_pb.js";

// roster.user.v1: UserService
export {
  file_roster_user_v1_user_service,
  CreateUserRequestSchema,
  CreateUserResponseSchema,
  ImportUsersRequestSchema,
  ImportUsersResponseSchema,
  ImportUserResultSchema,
  GetUserRequestSchema,
  GetUserResponseSchema,
  GetUserByIdentifierRequestSchema,
  GetUserByIdentifierResponseSchema,
  SearchUsersRequestSchema,
  SearchUsersResponseSchema,
  UpdateUserRequestSchema,
  UpdateUserResponseSchema,
  UpdateUserProfileRequestSchema,
  UpdateUserProfileResponseSchema,
  UpdateUserCustomDataRequestSchema,
  UpdateUserCustomDataResponseSchema,
  DeleteUserRequestSchema,
  DeleteUserResponseSchema,
  SuspendUserRequestSchema,
  SuspendUserResponseSchema,
  UnsuspendUserRequestSchema,
  UnsuspendUserResponseSchema,
  SetPasswordRequestSchema,
  SetPasswordResponseSchema,
  VerifyPasswordRequestSchema,
  VerifyPasswordResponseSchema,
  CreatePasswordResetCodeRequestSchema,
  CreatePasswordResetCodeResponseSchema,
  ConsumePasswordResetCodeRequestSchema,
  ConsumePasswordResetCodeResponseSchema,
  UnlockUserRequestSchema,
  UnlockUserResponseSchema,
  ListIdentitiesRequestSchema,
  ListIdentitiesResponseSchema,
  LinkIdentityRequestSchema,
  LinkIdentityResponseSchema,
  UnlinkIdentityRequestSchema,
  UnlinkIdentityResponseSchema,
  ListUserLogsRequestSchema,
  ListUserLogsResponseSchema,
  AppendUserLogRequestSchema,
  AppendUserLogResponseSchema,
  AppendUserLogsRequestSchema,
  AppendUserLogsResponseSchema,
  WatchUserLogsRequestSchema,
  WatchUserLogsResponseSchema,
  UserService,
} from "./gen/roster/user/v1/user_service_pb.js";
export type {
  CreateUserRequest,
  CreateUserResponse,
  ImportUsersRequest,
  ImportUsersResponse,
  ImportUserResult,
  GetUserRequest,
  GetUserResponse,
  GetUserByIdentifierRequest,
  GetUserByIdentifierResponse,
  SearchUsersRequest,
  SearchUsersResponse,
  UpdateUserRequest,
  UpdateUserResponse,
  UpdateUserProfileRequest,
  UpdateUserProfileResponse,
  UpdateUserCustomDataRequest,
  UpdateUserCustomDataResponse,
  DeleteUserRequest,
  DeleteUserResponse,
  SuspendUserRequest,
  SuspendUserResponse,
  UnsuspendUserRequest,
  UnsuspendUserResponse,
  SetPasswordRequest,
  SetPasswordResponse,
  VerifyPasswordRequest,
  VerifyPasswordResponse,
  CreatePasswordResetCodeRequest,
  CreatePasswordResetCodeResponse,
  ConsumePasswordResetCodeRequest,
  ConsumePasswordResetCodeResponse,
  UnlockUserRequest,
  UnlockUserResponse,
  ListIdentitiesRequest,
  ListIdentitiesResponse,
  LinkIdentityRequest,
  LinkIdentityResponse,
  UnlinkIdentityRequest,
  UnlinkIdentityResponse,
  ListUserLogsRequest,
  ListUserLogsResponse,
  AppendUserLogRequest,
  AppendUserLogResponse,
  AppendUserLogsRequest,
  AppendUserLogsResponse,
  WatchUserLogsRequest,
  WatchUserLogsResponse,
} from "./gen/roster/user/v1/user_service_pb.js";

// roster.user.v1: RoleService
export {
  file_roster_user_v1_role_service,
  CreateRoleRequestSchema,
  CreateRoleResponseSchema,
  GetRoleRequestSchema,
  GetRoleResponseSchema,
  ListRolesRequestSchema,
  ListRolesResponseSchema,
  UpdateRoleRequestSchema,
  UpdateRoleResponseSchema,
  DeleteRoleRequestSchema,
  DeleteRoleResponseSchema,
  AssignUserRolesRequestSchema,
  AssignUserRolesResponseSchema,
  RemoveUserRolesRequestSchema,
  RemoveUserRolesResponseSchema,
  ReplaceUserRolesRequestSchema,
  ReplaceUserRolesResponseSchema,
  ListUserRolesRequestSchema,
  ListUserRolesResponseSchema,
  ListRoleUsersRequestSchema,
  ListRoleUsersResponseSchema,
  GetUserPermissionsRequestSchema,
  GetUserPermissionsResponseSchema,
  GetUserAccessRequestSchema,
  GetUserAccessResponseSchema,
  BatchGetUserAccessRequestSchema,
  BatchGetUserAccessResponseSchema,
  WatchUserAccessChangesRequestSchema,
  WatchUserAccessChangesResponseSchema,
  AcknowledgeUserAccessChangesRequestSchema,
  AcknowledgeUserAccessChangesResponseSchema,
  PublishUserTokensChangedRequestSchema,
  PublishUserTokensChangedResponseSchema,
  RoleService,
} from "./gen/roster/user/v1/role_service_pb.js";
export type {
  CreateRoleRequest,
  CreateRoleResponse,
  GetRoleRequest,
  GetRoleResponse,
  ListRolesRequest,
  ListRolesResponse,
  UpdateRoleRequest,
  UpdateRoleResponse,
  DeleteRoleRequest,
  DeleteRoleResponse,
  AssignUserRolesRequest,
  AssignUserRolesResponse,
  RemoveUserRolesRequest,
  RemoveUserRolesResponse,
  ReplaceUserRolesRequest,
  ReplaceUserRolesResponse,
  ListUserRolesRequest,
  ListUserRolesResponse,
  ListRoleUsersRequest,
  ListRoleUsersResponse,
  GetUserPermissionsRequest,
  GetUserPermissionsResponse,
  GetUserAccessRequest,
  GetUserAccessResponse,
  BatchGetUserAccessRequest,
  BatchGetUserAccessResponse,
  WatchUserAccessChangesRequest,
  WatchUserAccessChangesResponse,
  AcknowledgeUserAccessChangesRequest,
  AcknowledgeUserAccessChangesResponse,
  PublishUserTokensChangedRequest,
  PublishUserTokensChangedResponse,
} from "./gen/roster/user/v1/role_service_pb.js";

// roster.token.v1: tokens and keys
export {
  file_roster_token_v1_token,
  PersonalAccessTokenSchema,
  JsonWebKeySchema,
} from "./gen/roster/token/v1/token_pb.js";
export type {
  PersonalAccessToken,
  JsonWebKey,
} from "./gen/roster/token/v1/token_pb.js";

// roster.token.v1: TokenService
export {
  file_roster_token_v1_token_service,
  CreatePersonalAccessTokenRequestSchema,
  CreatePersonalAccessTokenResponseSchema,
  ListPersonalAccessTokensRequestSchema,
  ListPersonalAccessTokensResponseSchema,
  UpdatePersonalAccessTokenRequestSchema,
  UpdatePersonalAccessTokenResponseSchema,
  DeletePersonalAccessTokenRequestSchema,
  DeletePersonalAccessTokenResponseSchema,
  DeleteUserPersonalAccessTokensRequestSchema,
  DeleteUserPersonalAccessTokensResponseSchema,
  ExchangePersonalAccessTokenRequestSchema,
  ExchangePersonalAccessTokenResponseSchema,
  IntrospectTokenRequestSchema,
  IntrospectTokenResponseSchema,
  GetJwksRequestSchema,
  GetJwksResponseSchema,
  RotateSigningKeysRequestSchema,
  RotateSigningKeysResponseSchema,
  TokenService,
} from "./gen/roster/token/v1/token_service_pb.js";
export type {
  CreatePersonalAccessTokenRequest,
  CreatePersonalAccessTokenResponse,
  ListPersonalAccessTokensRequest,
  ListPersonalAccessTokensResponse,
  UpdatePersonalAccessTokenRequest,
  UpdatePersonalAccessTokenResponse,
  DeletePersonalAccessTokenRequest,
  DeletePersonalAccessTokenResponse,
  DeleteUserPersonalAccessTokensRequest,
  DeleteUserPersonalAccessTokensResponse,
  ExchangePersonalAccessTokenRequest,
  ExchangePersonalAccessTokenResponse,
  IntrospectTokenRequest,
  IntrospectTokenResponse,
  GetJwksRequest,
  GetJwksResponse,
  RotateSigningKeysRequest,
  RotateSigningKeysResponse,
} from "./gen/roster/token/v1/token_service_pb.js";

// grpc.health.v1, grpc.reflection v1 / v1alpha, google.rpc error model and details
export * from "./grpc-protocols.js";

// The contract's file descriptors with their comments, for server reflection
export { commentedFileDescriptors } from "./descriptor-set.js";
