import { Code, ConnectError } from "@connectrpc/connect";
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { BadRequestSchema, BadRequest_FieldViolationSchema, ErrorInfoSchema, RetryInfoSchema } from "@roster/client";
import { isDomainError, type DomainErrorKind } from "./domain-error.js";
import { isStorageUnavailable } from "./storage-unavailable.js";

/** The `domain` of every ErrorInfo Roster sends. */
export const errorDomain = "roster.dev";

const codeOfKind: Record<DomainErrorKind, Code> = {
  "invalid-argument": Code.InvalidArgument,
  "not-found": Code.NotFound,
  "already-exists": Code.AlreadyExists,
  "failed-precondition": Code.FailedPrecondition,
  "permission-denied": Code.PermissionDenied,
  unauthenticated: Code.Unauthenticated,
  "resource-exhausted": Code.ResourceExhausted,
  "deadline-exceeded": Code.DeadlineExceeded,
  aborted: Code.Aborted,
  unavailable: Code.Unavailable,
};

/** Builds a ConnectError carrying an ErrorInfo, a BadRequest when fields are named, and a RetryInfo when a delay is given. */
export function statusError(
  code: Code,
  reason: string,
  message: string,
  fieldViolations: readonly { field: string; description: string }[] = [],
  metadata: Readonly<Record<string, string>> = {},
  retryDelayMs?: number,
): ConnectError {
  const details: { desc: DescMessage; value: MessageInitShape<DescMessage> }[] = [
    {
      desc: ErrorInfoSchema,
      value: create(ErrorInfoSchema, { reason, domain: errorDomain, metadata: { ...metadata } }),
    },
  ];
  if (fieldViolations.length > 0) {
    const violations = fieldViolations.map((v) => create(BadRequest_FieldViolationSchema, v));
    details.push({ desc: BadRequestSchema, value: create(BadRequestSchema, { fieldViolations: violations }) });
  }
  if (retryDelayMs !== undefined) {
    // Whole milliseconds, rounded up: retrying a moment early would only be refused again.
    const ms = Math.max(0, Math.ceil(retryDelayMs));
    const retryDelay = { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
    details.push({ desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay }) });
  }
  return new ConnectError(message, code, undefined, details);
}

/**
 * The one place errors become wire statuses. Domain errors keep their kind,
 * reason and fields; ConnectErrors pass through; anything else is an internal
 * error whose cause is reported to `onInternal` and never sent to the caller.
 * A database that cannot be reached (see isStorageUnavailable) is UNAVAILABLE
 * `STORAGE_UNAVAILABLE`: the call did not happen or may be retried safely.
 */
export function toConnectError(err: unknown, onInternal: (err: unknown) => void): ConnectError {
  if (isDomainError(err)) {
    return statusError(
      codeOfKind[err.kind],
      err.reason,
      err.message,
      err.fieldViolations,
      err.metadata,
      err.retryDelayMs,
    );
  }
  if (err instanceof ConnectError) {
    return err;
  }
  if (isStorageUnavailable(err)) {
    return statusError(Code.Unavailable, "STORAGE_UNAVAILABLE", "storage is unreachable; safe to retry");
  }
  onInternal(err);
  return statusError(Code.Internal, "INTERNAL", "internal error");
}
