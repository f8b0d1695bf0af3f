import type { CallOrigin, CredentialAttempt, CredentialThrottle, Logger } from "@roster/runtime";
import { judgeAccessToken } from "@roster/runtime/access-token-subject";
import { DomainError, invalidField } from "@roster/runtime/domain-error";
import type { AccessTokenClaims, AccessTokens } from "../crypto/access-tokens.js";
import type { AuditTrail } from "./audit-trail.js";
import { hashPatSecret, isWellFormedPat, patPrefix } from "./pat-secret.js";
import type { PatRecord, PatStore } from "./pat-store.js";
import { grantedScopes, validateScopes } from "./scopes.js";
import type { UserAccess, UserDirectory } from "./user-directory.js";

export interface ExchangeAndIntrospectionDeps {
  store: PatStore;
  users: UserDirectory;
  audit: AuditTrail;
  accessTokens: AccessTokens;
  pepper: string | undefined;
  issuer: string;
  logger: Logger;
  /** Limits and reports refused PATs in exchange, per address and per PAT and user. */
  exchangeThrottle: CredentialThrottle;
  /** The same for introspection, whose limit per address is its own: resource servers introspect on behalf of their callers. */
  introspectionThrottle: CredentialThrottle;
  now?: () => Date;
}

/** RFC 7662 §2.2; every field but `active` is absent for an inactive token. */
export interface Introspection {
  active: boolean;
  scope?: string;
  clientId?: string;
  username?: string;
  tokenType?: "access_token" | "personal_access_token";
  exp?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  aud?: string;
  iss?: string;
  jti?: string;
}

const maxPatLength = 256;
const maxIntrospectedLength = 8 * 1024;
const lastUseResolutionMs = 60_000;
const inactive: Introspection = { active: false };

type PatRefusal = "TOKEN_MALFORMED" | "TOKEN_INVALID" | "TOKEN_EXPIRED" | "USER_SUSPENDED";

const refusalMessages: Record<PatRefusal, string> = {
  TOKEN_MALFORMED: "this is not a personal access token (wrong prefix, length or checksum)",
  TOKEN_INVALID: "the personal access token is unknown or revoked",
  TOKEN_EXPIRED: "the personal access token has expired",
  USER_SUSPENDED: "the token's user is suspended",
};

type PatCheck =
  | { ok: true; record: PatRecord; user: UserAccess }
  | { ok: false; reason: PatRefusal; record?: PatRecord };

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** Scopes granted, sorted, and as one space-separated string. */
interface Grant {
  scopes: readonly string[];
  scope: string;
}
const grantOf = (scopes: string[]): Grant => ({ scopes: Object.freeze(scopes), scope: scopes.join(" ") });

/**
 * What a PAT grants its user when no scopes are asked for, worked out once per held record and user
 * access: both are replaced, never changed, when the token or the user changes, so a new object is a new answer.
 */
const allowed = new WeakMap<PatRecord, { user: UserAccess; grant: Grant }>();
function allowedGrant(record: PatRecord, user: UserAccess): Grant {
  const known = allowed.get(record);
  if (known !== undefined && known.user === user) return known.grant;
  const grant = grantOf(grantedScopes([], record.scopes, user.permissions));
  allowed.set(record, { user, grant });
  return grant;
}

/**
 * Exchanging a PAT for an access token, and introspecting a PAT or an access token. The
 * token's user is looked up on every use through `users.accessOf`: in the
 * service, the user-access copy, which answers only what no acknowledged
 * change has taken away (else it asks user-service), so a deletion,
 * suspension or role change takes effect the moment it returns. An access
 * token is judged by the same rule the guards of both services apply
 * (judgeAccessToken), so introspection and the API agree.
 */
export function createExchangeAndIntrospection(deps: ExchangeAndIntrospectionDeps) {
  const now = deps.now ?? (() => new Date());

  const checkPat = async (secret: string, attempt: CredentialAttempt): Promise<PatCheck> => {
    // The checksum rejects typos and truncations before any database read (and before any per-target state is kept).
    if (!isWellFormedPat(secret)) return { ok: false, reason: "TOKEN_MALFORMED" };
    const secretHash = hashPatSecret(secret, deps.pepper);
    await attempt.charge(`pat:${secretHash}`);
    const record = await deps.store.findBySecretHash(secretHash);
    if (record === undefined) return { ok: false, reason: "TOKEN_INVALID" };
    await attempt.charge(`user:${record.userId}`);
    if (record.expireTime !== undefined && record.expireTime.getTime() <= now().getTime()) {
      return { ok: false, reason: "TOKEN_EXPIRED", record };
    }
    const user = await deps.users.accessOf(record.userId);
    if (user === undefined) return { ok: false, reason: "TOKEN_INVALID", record };
    if (user.suspended) return { ok: false, reason: "USER_SUSPENDED", record };
    return { ok: true, record, user };
  };

  /** Checks a PAT within the throttle's limits and reports a refusal (by the token's public id, never its secret). */
  const usePat = async <T>(
    throttle: CredentialThrottle,
    origin: CallOrigin,
    secret: string,
    use: (check: PatCheck) => Promise<T>,
  ): Promise<T> => {
    const attempt = await throttle.begin(origin);
    try {
      const check = await checkPat(secret, attempt);
      if (!check.ok)
        attempt.fail(check.reason, check.record && { tokenId: check.record.id, userId: check.record.userId });
      return await use(check);
    } finally {
      await attempt.end();
    }
  };

  const touch = (record: PatRecord) => {
    const at = now();
    if (record.lastUseTime !== undefined && at.getTime() - record.lastUseTime.getTime() < lastUseResolutionMs) return;
    deps.store
      .touch(record.id, at, new Date(at.getTime() - lastUseResolutionMs))
      .catch((err: unknown) => deps.logger.warn({ err, tokenId: record.id }, "could not record the token's last use"));
  };

  /**
   * Refusals of a known token are logged as failed PAT_EXCHANGED entries. A
   * successful exchange returns its token only once its entry is durable in
   * the outbox; when the outbox cannot be written it fails with UNAVAILABLE
   * and no token: no access token is issued without its audit entry.
   */
  const exchangeChecked = async (check: PatCheck, requested: readonly string[]) => {
    if (!check.ok) {
      if (check.record !== undefined) {
        const entry = {
          userId: check.record.userId,
          event: "pat-exchanged" as const,
          success: false,
          payload: { token_id: check.record.id, reason: check.reason },
        };
        await deps.audit.record(entry);
      }
      throw new DomainError("unauthenticated", { reason: check.reason, message: refusalMessages[check.reason] });
    }
    const { record, user } = check;
    const { scopes, scope } =
      requested.length === 0
        ? allowedGrant(record, user)
        : grantOf(grantedScopes(requested, record.scopes, user.permissions));
    const minted = await deps.accessTokens.mint({
      userId: record.userId,
      scopes,
      patId: record.id,
      tokenEpoch: user.tokenEpoch,
      notAfter: record.expireTime,
    });
    await deps.audit.record({
      userId: record.userId,
      event: "pat-exchanged",
      success: true,
      payload: { token_id: record.id, name: record.name, jti: minted.claims.jti, scope },
    });
    touch(record);
    return { accessToken: minted.token, expireTime: new Date(minted.claims.exp * 1000), scopes: [...scopes] };
  };

  const introspectChecked = async (check: PatCheck): Promise<Introspection> => {
    if (!check.ok) return inactive;
    const { record, user } = check;
    touch(record);
    return {
      active: true,
      scope: allowedGrant(record, user).scope,
      clientId: record.id,
      username: user.username,
      tokenType: "personal_access_token",
      exp: record.expireTime === undefined ? 0 : seconds(record.expireTime),
      iat: seconds(record.createTime),
      nbf: 0,
      sub: user.id,
      iss: deps.issuer,
      jti: record.id,
    };
  };

  return {
    /** Exchanges a PAT for an access token, within the exchange limits (see exchangeChecked for the audit trail). */
    async exchange(input: { secret: string; scopes: readonly string[] }, origin: CallOrigin) {
      if (input.secret === "") throw invalidField("personal_access_token", "is required");
      // Over the field's limit is bad input like any other; a wrong length within it is a malformed token.
      if (input.secret.length > maxPatLength)
        throw invalidField("personal_access_token", `must be at most ${maxPatLength} characters`);
      const requested = validateScopes("scopes", input.scopes);
      return usePat(deps.exchangeThrottle, origin, input.secret, (check) => exchangeChecked(check, requested));
    },

    async introspect(input: { token: string }, origin: CallOrigin): Promise<Introspection> {
      if (input.token === "") throw invalidField("token", "is required");
      if (input.token.length > maxIntrospectedLength) throw invalidField("token", "must be at most 8 KiB");
      if (input.token.startsWith(patPrefix))
        return usePat(deps.introspectionThrottle, origin, input.token, introspectChecked);
      const claims = await deps.accessTokens.verify(input.token);
      if (claims === undefined) return inactive;
      const user = await deps.users.accessOf(claims.sub);
      const verdict = judgeAccessToken(
        { subject: claims.sub, scopes: claims.scopes, tokenEpoch: claims.tokenEpoch },
        user,
      );
      if (!verdict.active || user === undefined) return inactive;
      return introspectionOf(claims, user, verdict.scopes);
    },
  };
}

/** `scope` is what the token grants now: its scopes ∩ the user's current permissions. */
function introspectionOf(claims: AccessTokenClaims, user: UserAccess, scopes: string[]): Introspection {
  return {
    active: true,
    scope: scopes.join(" "),
    clientId: claims.clientId,
    username: user.username,
    tokenType: "access_token",
    exp: claims.exp,
    iat: claims.iat,
    nbf: claims.nbf,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    jti: claims.jti,
  };
}

export type ExchangeAndIntrospection = ReturnType<typeof createExchangeAndIntrospection>;
