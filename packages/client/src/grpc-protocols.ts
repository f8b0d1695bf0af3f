// The gRPC ecosystem's own services and error-model messages that Roster's
// servers and clients use: health checking, server reflection, google.rpc details.
// Reflection v1alpha repeats v1's names, so its exports carry a V1alpha suffix.
export {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponse_ServingStatusSchema,
  file_grpc_health_v1_health,
} from "./gen/grpc/health/v1/health_pb.js";
export type { HealthCheckRequest, HealthCheckResponse } from "./gen/grpc/health/v1/health_pb.js";
export {
  ServerReflection,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
  file_grpc_reflection_v1_reflection,
} from "./gen/grpc/reflection/v1/reflection_pb.js";
export type { ServerReflectionRequest, ServerReflectionResponse } from "./gen/grpc/reflection/v1/reflection_pb.js";
export {
  ServerReflection as ServerReflectionV1alpha,
  ServerReflectionRequestSchema as ServerReflectionRequestV1alphaSchema,
  ServerReflectionResponseSchema as ServerReflectionResponseV1alphaSchema,
  file_grpc_reflection_v1alpha_reflection,
} from "./gen/grpc/reflection/v1alpha/reflection_pb.js";
export type {
  ServerReflectionRequest as ServerReflectionRequestV1alpha,
  ServerReflectionResponse as ServerReflectionResponseV1alpha,
} from "./gen/grpc/reflection/v1alpha/reflection_pb.js";
export { StatusSchema, file_google_rpc_status } from "./gen/google/rpc/status_pb.js";
export type { Status } from "./gen/google/rpc/status_pb.js";
export {
  BadRequestSchema,
  BadRequest_FieldViolationSchema,
  ErrorInfoSchema,
  LocalizedMessageSchema,
  PreconditionFailureSchema,
  PreconditionFailure_ViolationSchema,
  QuotaFailureSchema,
  QuotaFailure_ViolationSchema,
  ResourceInfoSchema,
  RetryInfoSchema,
  file_google_rpc_error_details,
} from "./gen/google/rpc/error_details_pb.js";
export type {
  BadRequest,
  BadRequest_FieldViolation,
  ErrorInfo,
  LocalizedMessage,
  PreconditionFailure,
  PreconditionFailure_Violation,
  QuotaFailure,
  QuotaFailure_Violation,
  ResourceInfo,
  RetryInfo,
} from "./gen/google/rpc/error_details_pb.js";
