import { createContextKey, type HandlerContext } from "@connectrpc/connect";

/** Who is calling: resolved once per call by the auth guard, read by handlers. */
export interface Caller {
  kind: "api-key" | "service-key" | "access-token";
  /** A non-secret id for audit trails: `key:<digest prefix>` or `user:<id>`. */
  id: string;
  /** For access tokens, the user the token was issued to. */
  subject?: string;
  scopes: ReadonlySet<string>;
}

/** Where the guard leaves the caller in `HandlerContext.values`. */
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "authenticated caller" });

/** The id audit trails record for a call: its caller, or "system" for work no credential started. */
export function actorOf(ctx: HandlerContext): string {
  return ctx.values.get(callerKey)?.id ?? "system";
}
