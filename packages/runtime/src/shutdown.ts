import type { Logger } from "./logging.js";

/**
 * Runs `stop` once on SIGTERM or SIGINT, then exits 0 (1 if stopping failed).
 * A second signal while stopping exits at once.
 */
export function onShutdownSignal(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal, exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
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
}
