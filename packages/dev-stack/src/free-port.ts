import { createServer } from "node:net";

/**
 * A TCP port that was free a moment ago on 127.0.0.1. The services must know
 * each other's address before either starts, so the ports are chosen up front.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
