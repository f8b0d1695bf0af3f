import { createContextKey, type HandlerContext } from "@connectrpc/connect";

/** Who is calling: resolved once per call by the auth guard, read by handlers. */
export interface Caller {
  kind: "api-key" | "service-key" | "access-token";
  /** A non-secret id for audit trails: `key:<digest prefix>` or `user:<id>`. */
  id: string;
  /** For access tokens, the user the token was issued to. */
  subject?: string;
  scopes: ReadonlySet<string>;
  /**
   * For access tokens: the caller the same token stands for now, read afresh;
   * throws UNAUTHENTICATED once it stands for nobody (expired, user deleted or
   * suspended).
   */
  refresh?: () => Promise<Caller>;
}

/** Where the guard leaves the caller in `HandlerContext.values`. */
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "authenticated caller" });

/**
 * Where the guard leaves a re-check of the call's credential and scope, for
 * callers whose rights can change while a stream is open; the stream runs it
 * before each message it sends.
 */
export const recheckKey = createContextKey<(() => Promise<void>) | undefined>(undefined, { description: "credential re-check" });

/** The id audit trails record for a call: its caller, or "system" for work no credential started. */
export function actorOf(ctx: HandlerContext): string {
  return ctx.values.get(callerKey)?.id ?? "system";
}
