// The generated Roster contract (services, messages, enums) and nothing that
// opens a connection: no grpc-js, no node:http2. Browsers bundle this entry
// beside @connectrpc/connect-web; domain code imports types from it. With the
// google.rpc details errors carry and the scope catalogue.

export * from "./gen/roster/user/v1/user_pb.js";
export * from "./gen/roster/user/v1/query_pb.js";
export * from "./gen/roster/user/v1/user_log_pb.js";
export * from "./gen/roster/user/v1/role_pb.js";
export * from "./gen/roster/user/v1/user_service_pb.js";
export * from "./gen/roster/user/v1/role_service_pb.js";
export * from "./gen/roster/token/v1/token_pb.js";
export * from "./gen/roster/token/v1/token_service_pb.js";
export {
  BadRequestSchema,
  ErrorInfoSchema,
  type BadRequest,
  type ErrorInfo,
} from "./gen/google/rpc/error_details_pb.js";
export * from "./scopes.js";
