import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ephemeralRangeStart, freePort } from "./free-port.js";

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });

describe("freePort", () => {
  afterEach(() => vi.restoreAllMocks());

  it("when ports are picked then each lies below the ephemeral range, where no listen(0) can take it, and can be listened on", async () => {
    const end = ephemeralRangeStart();
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(end);
      const server = await listen(port);
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("when the port drawn is taken then another one is picked", async () => {
    const taken = await listen(await freePort());
    const address = taken.address();
    const takenPort = typeof address === "object" && address !== null ? address.port : 0;
    const other = await freePort();
    const random = vi.spyOn(Math, "random");
    // The first draw lands on the taken port, the next on the free one.
    const draw = (port: number) => (port - 10_000 + 0.5) / (ephemeralRangeStart() - 10_000);
    random.mockReturnValueOnce(draw(takenPort)).mockReturnValueOnce(draw(other));
    try {
      expect(await freePort()).toBe(other);
      expect(random).toHaveBeenCalledTimes(2);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
