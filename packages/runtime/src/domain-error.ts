/**
 * The one error type domain code throws. It names a failure in the vocabulary
 * of the API (a kind that maps to a gRPC code, a stable reason, the offending
 * fields) without importing any transport, so domain modules stay pure.
 */
export type DomainErrorKind =
  | "invalid-argument"
  | "not-found"
  | "already-exists"
  | "failed-precondition"
  | "permission-denied"
  | "unauthenticated"
  | "resource-exhausted"
  | "deadline-exceeded"
  | "aborted"
  | "unavailable";

/** One invalid field of a request, as in google.rpc.BadRequest.FieldViolation. */
export interface FieldViolation {
  /** Path of the field in the request, e.g. `user.email` or `users[3].username`. */
  field: string;
  description: string;
}

export interface DomainErrorInit {
  /** Stable UPPER_SNAKE_CASE reason callers can branch on; never changes once shipped. */
  reason: string;
  message: string;
  fieldViolations?: FieldViolation[];
  metadata?: Record<string, string>;
  /** For a refusal that passes with time (a rate limit): how long to wait, sent as google.rpc.RetryInfo. */
  retryDelayMs?: number;
  cause?: unknown;
}

const domainErrorTag = Symbol.for("roster.DomainError");

export class DomainError extends Error {
  override readonly name = "DomainError";
  readonly kind: DomainErrorKind;
  readonly reason: string;
  readonly fieldViolations: readonly FieldViolation[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly retryDelayMs: number | undefined;
  readonly [domainErrorTag] = true;

  constructor(kind: DomainErrorKind, init: DomainErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = kind;
    this.reason = init.reason;
    this.fieldViolations = init.fieldViolations ?? [];
    this.metadata = init.metadata ?? {};
    this.retryDelayMs = init.retryDelayMs;
  }
}

/** A structural guard: `instanceof` breaks when a package is installed twice. */
export function isDomainError(value: unknown): value is DomainError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[domainErrorTag] === true;
}

/** INVALID_ARGUMENT naming one or more fields. */
export function invalidArgument(violations: FieldViolation[], reason = "INVALID_ARGUMENT"): DomainError {
  const message = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return new DomainError("invalid-argument", { reason, message, fieldViolations: violations });
}

/** INVALID_ARGUMENT for a single field. */
export function invalidField(field: string, description: string, reason = "INVALID_ARGUMENT"): DomainError {
  return invalidArgument([{ field, description }], reason);
}

export function notFound(reason: string, message: string, metadata?: Record<string, string>): DomainError {
  return new DomainError("not-found", { reason, message, metadata });
}

export function alreadyExists(reason: string, message: string, field?: string): DomainError {
  return new DomainError("already-exists", {
    reason,
    message,
    fieldViolations: field === undefined ? [] : [{ field, description: message }],
    metadata: field === undefined ? undefined : { field },
  });
}

export function failedPrecondition(reason: string, message: string, metadata?: Record<string, string>): DomainError {
  return new DomainError("failed-precondition", { reason, message, metadata });
}

/** RESOURCE_EXHAUSTED `RATE_LIMITED`: too many attempts; the same call may succeed after `retryDelayMs`. */
export function rateLimited(message: string, retryDelayMs: number): DomainError {
  return new DomainError("resource-exhausted", { reason: "RATE_LIMITED", message, retryDelayMs });
}
