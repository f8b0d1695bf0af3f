// A transport-free entry for browsers and bundlers: the generated Roster and
// google.rpc types and the scope catalogue, without the Node transports the
// main entry loads.
export * from "./gen/roster/user/v1/user_pb.js";
export * from "./gen/roster/user/v1/user_service_pb.js";
export * from "./gen/roster/user/v1/query_pb.js";
export * from "./gen/roster/user/v1/role_pb.js";
export * from "./gen/roster/user/v1/role_service_pb.js";
export * from "./gen/roster/user/v1/user_log_pb.js";
export * from "./gen/roster/token/v1/token_pb.js";
export * from "./gen/roster/token/v1/token_service_pb.js";
export { BadRequestSchema, ErrorInfoSchema, type BadRequest, type ErrorInfo } from "./gen/google/rpc/error_details_pb.js";
export * from "./scopes.js";
