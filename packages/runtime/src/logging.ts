import { pino, type Logger } from "pino";

export type { Logger };

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/**
 * JSON logs on stdout, one object per line. Secrets never reach a log call;
 * the redaction list is a second line of defence for headers.
 */
export function createLogger(service: string, level: LogLevel): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ["authorization", "*.authorization", "password", "*.password", "secret", "*.secret"],
      censor: "[redacted]",
    },
  });
}
