import { readFileSync } from "node:fs";
import { parseApiKeys, type ApiKey } from "./api-keys.js";

/** A configuration problem, naming every variable that is wrong. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly { variable: string; message: string }[]) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable} ${p.message}`).join("; ")}`);
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Typed readers for environment variables. Each reader records what is wrong
 * instead of throwing, so `done()` reports every bad variable at once.
 */
export class EnvReader {
  private readonly problems: { variable: string; message: string }[] = [];

  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  private fail<T>(variable: string, message: string, fallback: T): T {
    this.problems.push({ variable, message });
    return fallback;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  /** A secret with no default: a value anyone could guess must never stand in for it. */
  secret(name: string, minLength: number): string {
    const value = this.raw(name);
    if (value === undefined)
      return this.fail(name, `must be set (a random value of at least ${minLength} characters)`, "");
    if (value.length < minLength) return this.fail(name, `must be at least ${minLength} characters long`, "");
    return value;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  integer(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value)) return this.fail(name, `must be a whole number, got "${value}"`, fallback);
    const n = Number(value);
    if (range.min !== undefined && n < range.min)
      return this.fail(name, `must be at least ${range.min}, got ${n}`, fallback);
    if (range.max !== undefined && n > range.max)
      return this.fail(name, `must be at most ${range.max}, got ${n}`, fallback);
    return n;
  }

  /** A TCP port; 0 asks the OS for a free one (tests use it). */
  port(name: string, fallback: number): number {
    return this.integer(name, fallback, { min: 0, max: 65535 });
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      return this.fail(name, `must be one of ${allowed.join(", ")}, got "${value}"`, fallback);
    }
    return value as T;
  }

  url(name: string, fallback: string, protocols: readonly string[]): string {
    const value = this.raw(name) ?? fallback;
    try {
      const url = new URL(value);
      if (!protocols.includes(url.protocol)) {
        return this.fail(name, `must use ${protocols.join(" or ")}, got "${url.protocol}"`, fallback);
      }
      return value;
    } catch {
      return this.fail(name, `must be a URL, got "${value}"`, fallback);
    }
  }

  apiKeys(name: string): ApiKey[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    try {
      return parseApiKeys(value);
    } catch (err) {
      return this.fail(name, (err as Error).message, []);
    }
  }

  /** The contents of the file a variable names; undefined when unset or unreadable (then a problem is recorded). */
  file(name: string): Buffer | undefined {
    const path = this.raw(name);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      return this.fail(
        name,
        `cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        undefined,
      );
    }
  }

  /** Records a problem that only a check across variables or file contents can find. */
  reject(name: string, message: string): void {
    this.fail(name, message, undefined);
  }

  /** Throws a ConfigError if any variable was invalid; returns the value frozen otherwise. */
  done<T extends object>(config: T): Readonly<T> {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
    return Object.freeze(config);
  }
}
