import { decodeJwt } from "jose";
import { managementScopes } from "@roster/client/contract";

// The credential lives in sessionStorage only: it ends with the tab, and it is
// never put in a URL, a log line or any other storage.
const storageKey = "roster.console.credential";

export interface Session {
  credential: string;
  kind: "api-key" | "access-token";
  scopes: ReadonlySet<string>;
  /** The access token's subject and expiry; undefined for an API key. */
  subject?: string;
  expiresAt?: Date;
}

/**
 * What a credential may do. An access token carries its scopes in its `scope`
 * claim (read here for display only; the services verify the signature). An
 * API key carries no claims: it holds the management scopes, and the first call
 * made with it tells whether it is valid at all.
 */
export function sessionOf(credential: string): Session {
  const value = credential.trim();
  if (value.split(".").length === 3) {
    const claims = decodeJwt(value);
    const scope = typeof claims.scope === "string" ? claims.scope : "";
    return {
      credential: value,
      kind: "access-token",
      scopes: new Set(scope.split(" ").filter((s) => s !== "")),
      subject: claims.sub,
      expiresAt: claims.exp === undefined ? undefined : new Date(claims.exp * 1000),
    };
  }
  return { credential: value, kind: "api-key", scopes: new Set(managementScopes) };
}

export function loadSession(): Session | undefined {
  const stored = sessionStorage.getItem(storageKey);
  if (stored === null) return undefined;
  try {
    return sessionOf(stored);
  } catch {
    sessionStorage.removeItem(storageKey);
    return undefined;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(storageKey, session.credential);
}

export function clearSession(): void {
  sessionStorage.removeItem(storageKey);
}

export function can(session: Session, scope: string): boolean {
  return session.scopes.has(scope);
}
