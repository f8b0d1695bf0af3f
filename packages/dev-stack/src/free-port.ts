import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** Where ports are drawn from: above the well-known and common service ports. */
const LOWEST = 10_000;
/** The lowest port the system hands out for `listen(0)` where it cannot be read (Linux's default). */
const DEFAULT_EPHEMERAL_START = 32_768;
const ATTEMPTS = 100;

/** The lowest port of the system's ephemeral range (Linux), or Linux's default elsewhere. */
export function ephemeralRangeStart(): number {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    return low !== undefined && Number.isInteger(low) && low > LOWEST ? low : DEFAULT_EPHEMERAL_START;
  } catch {
    return DEFAULT_EPHEMERAL_START;
  }
}

/** Whether 127.0.0.1:`port` can be listened on now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port that was free a moment ago on 127.0.0.1. The services must know
 * each other's address before either starts, so the ports are chosen up front.
 * They are drawn at random from below the system's ephemeral range: a port the
 * system hands out for `listen(0)` (to the embedded database, to any other
 * process) could otherwise be one chosen here and not yet listened on.
 */
export async function freePort(): Promise<number> {
  const end = ephemeralRangeStart();
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (end - LOWEST));
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port found below ${end} in ${ATTEMPTS} attempts`);
}
