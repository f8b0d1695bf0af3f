import type { Logger } from "./logging.js";

/** What closing the app and the database may take after the grace, before the process gives up on them. */
const closeAllowanceMs = 1_000;

/**
 * Runs `stop` once on SIGTERM or SIGINT, then exits 0 (1 if stopping failed).
 * A process started with an IPC channel (by `npm start` or the benchmark)
 * exits at once when that channel ends, that is when its parent is gone,
 * however the parent died: a supervisor killed outright leaves no orphaned
 * service holding its ports.
 * A second signal while stopping exits at once, and so does a stop still
 * running `closeAllowanceMs` after the grace: in-flight calls get `graceMs`,
 * the process never hangs.
 */
export function onShutdownSignal(stop: () => Promise<void>, logger: Logger, graceMs: number): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal, exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    setTimeout(() => {
      logger.error({ graceMs, closeAllowanceMs }, "shutdown did not finish in time, exiting");
      process.exit(1);
    }, graceMs + closeAllowanceMs).unref();
    stop().then(
      () => {
        logger.info("stopped");
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", handle);
  process.on("SIGINT", handle);
  if (process.channel !== undefined) {
    // The channel must not keep the process alive. Its end means the parent is gone, and with it the reader of
    // this process's output: a drain would block on its first log line (a full pipe nobody reads), so no drain.
    process.channel.unref();
    process.once("disconnect", () => process.exit(1));
  }
}
