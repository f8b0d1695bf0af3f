import { Counter, type Registry } from "prom-client";
import type { CallOrigin } from "./client-address.js";
import type { Logger } from "./logging.js";

/** What was presented: a management API key, an access token, a PAT, a password reset code, or nothing at all. */
export type CredentialKind = "api_key" | "access_token" | "pat" | "reset_code" | "none";

/** The reasons a credential is refused; anything else is counted as OTHER, so the metric's labels stay few. */
const knownReasons: ReadonlySet<string> = new Set([
  "MISSING_CREDENTIAL",
  "INVALID_CREDENTIAL",
  "TOKEN_MALFORMED",
  "TOKEN_INVALID",
  "TOKEN_EXPIRED",
  "USER_SUSPENDED",
  "USER_DELETED",
  "TOKEN_REVOKED",
  "RESET_CODE_INVALID",
  "RATE_LIMITED",
]);

export interface AuthFailure {
  credential: CredentialKind;
  /** The ErrorInfo reason the caller was given. */
  reason: string;
  origin: CallOrigin;
  /** Public ids of what the credential named, when known (a PAT's token id, a user id); never the secret. */
  subject?: Readonly<Record<string, string>>;
}

/** Where every refused credential is reported: counted in /metrics and logged at a bounded rate. */
export interface AuthFailures {
  record(failure: AuthFailure): void;
}

export interface AuthFailuresOptions {
  registry: Registry;
  logger: Logger;
  /** Log lines per minute for each credential kind and reason; the rest are counted and the count logged with the next line. */
  logLinesPerMinute: number;
  now?: () => number;
}

/** `roster_auth_failures_total{credential, reason}` plus a warn line per failure, at most `logLinesPerMinute` per kind and reason. */
export function createAuthFailures(options: AuthFailuresOptions): AuthFailures {
  const counter = new Counter({
    name: "roster_auth_failures_total",
    help: "Refused credentials, by credential kind and reason.",
    labelNames: ["credential", "reason"] as const,
    registers: [options.registry],
  });
  const gate = createLogGate(options.logLinesPerMinute, 60_000, options.now ?? Date.now);
  return {
    record({ credential, reason, origin, subject }) {
      const label = knownReasons.has(reason) ? reason : "OTHER";
      counter.inc({ credential, reason: label });
      const admitted = gate(`${credential}:${label}`);
      if (admitted === undefined) return;
      const suppressed = admitted > 0 ? { suppressed: admitted } : {};
      options.logger.warn(
        { credential, reason: label, method: origin.method, address: origin.address, ...subject, ...suppressed },
        "authentication failed",
      );
    },
  };
}

/**
 * A fixed-window gate per key: admits `lines` events per window and drops the
 * rest. An admitted event gets the number dropped since the last admitted one
 * (0 usually), so the log still says how many there were; undefined means drop.
 */
export function createLogGate(lines: number, windowMs: number, now: () => number): (key: string) => number | undefined {
  const windows = new Map<string, { start: number; admitted: number; dropped: number }>();
  return (key) => {
    const at = now();
    let window = windows.get(key);
    if (window === undefined || at - window.start >= windowMs) {
      window = { start: at, admitted: 0, dropped: window?.dropped ?? 0 };
      windows.set(key, window);
    }
    if (window.admitted >= lines) {
      window.dropped += 1;
      return undefined;
    }
    window.admitted += 1;
    const dropped = window.dropped;
    window.dropped = 0;
    return dropped;
  };
}
