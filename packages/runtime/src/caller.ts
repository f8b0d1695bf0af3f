import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import { DomainError } from "./domain-error.js";

/** Who is calling: resolved once per call by the auth guard, read by handlers. */
export interface Caller {
  kind: "api-key" | "service-key" | "access-token";
  /** A non-secret id for audit trails: `key:<digest prefix>` or `user:<id>`. */
  id: string;
  /** For access tokens, the user the token was issued to. */
  subject?: string;
  scopes: ReadonlySet<string>;
  /** Set when only a self-service scope admitted the call: the one user id it may act on (the subject). */
  ownUserOnly?: string;
  /** For access tokens: the same token judged afresh, with its user's state now. */
  refresh?: () => Promise<Caller | CredentialRefusal>;
}

/** Why a credential whose signature verified stands for nobody now: UNAUTHENTICATED with this reason. */
export interface CredentialRefusal {
  refused: string;
  message: string;
}

/** Where the guard leaves the caller in `HandlerContext.values`. */
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "authenticated caller" });

/**
 * Where the guard leaves a re-check of the call's credential and scope, for
 * callers whose rights can change while a stream is open; the stream runs it
 * before each message it sends.
 */
export const recheckKey = createContextKey<(() => Promise<void>) | undefined>(undefined, {
  description: "credential re-check",
});

/** The id audit trails record for a call: its caller, or "system" for work no credential started. */
export function actorOf(ctx: HandlerContext): string {
  return ctx.values.get(callerKey)?.id ?? "system";
}

/**
 * For methods a self-service scope admits: refuses with PERMISSION_DENIED
 * `NOT_OWN_RESOURCE` when the call was admitted for its own user only and
 * `userId` (the request's `field`) names another. Callers with the
 * administrator scope pass.
 */
export function requireOwnUser(ctx: HandlerContext, userId: string, field: string): void {
  const own = ctx.values.get(callerKey)?.ownUserOnly;
  if (own === undefined || own === userId) return;
  throw new DomainError("permission-denied", {
    reason: "NOT_OWN_RESOURCE",
    message: `this credential acts only on its own user; ${field} names another user`,
    metadata: { field },
  });
}
