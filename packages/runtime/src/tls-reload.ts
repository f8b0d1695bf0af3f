import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { rereadTlsFiles, type TlsConfig, type TlsSource } from "./tls-config.js";

/** A digest of the files' contents: small files, read once per check, so no renewal goes unseen whatever the file system's clock. */
function stampOf(files: TlsConfig["files"]): string {
  const hash = createHash("sha256");
  for (const path of [files.cert, files.key, files.ca]) {
    try {
      hash.update(path === undefined ? "-" : readFileSync(path));
    } catch {
      hash.update("unreadable");
    }
    hash.update("\0");
  }
  return hash.digest("hex");
}

/**
 * Serves renewed certificates without a restart: checks the files every
 * `reloadIntervalMs` and, once they changed and pass the start-up checks
 * again (parse, key matches certificate), tells the servers. A set that does
 * not pass (a renewal half written, say) is reported and the one in force kept.
 */
export class TlsReloader implements TlsSource {
  private current: TlsConfig;
  private stamp: string;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(tls: TlsConfig) => void>();

  constructor(
    initial: TlsConfig,
    private readonly report: { reloaded(): void; refused(err: unknown): void },
  ) {
    this.current = initial;
    this.stamp = stampOf(initial.files);
  }

  get tls(): TlsConfig {
    return this.current;
  }

  onChange(listener: (tls: TlsConfig) => void): void {
    this.listeners.add(listener);
  }

  start(): void {
    if (this.current.identity === undefined || this.current.reloadIntervalMs === 0) return;
    this.timer = setInterval(() => this.check(), this.current.reloadIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Reads the files again if they changed; true when new settings were taken. */
  check(): boolean {
    const stamp = stampOf(this.current.files);
    if (stamp === this.stamp) return false;
    let next: TlsConfig;
    try {
      next = rereadTlsFiles(this.current);
    } catch (err) {
      // The stamp stays old, so the next check tries again.
      this.report.refused(err);
      return false;
    }
    this.stamp = stamp;
    this.current = next;
    for (const listener of this.listeners) listener(next);
    this.report.reloaded();
    return true;
  }
}
