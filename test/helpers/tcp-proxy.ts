import { connect, createServer, type Socket } from "node:net";

/**
 * A TCP relay to 127.0.0.1:`target` that a test can cut (every connection
 * dropped, new ones refused) and restore: one service losing its way to the
 * other while both stay up. It can also stall: connections stay open but
 * nothing moves either way (a partition neither end notices) until `unstall`.
 */
export async function startTcpProxy() {
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let open = true;
  let stalled = false;
  let target = 0;
  const server = createServer((client) => {
    if (!open || target === 0) {
      client.destroy();
      return;
    }
    const upstream = connect(target, "127.0.0.1");
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", drop);
      socket.on("close", () => {
        sockets.delete(socket);
        drop();
      });
    }
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.on("close", () => pairs.delete(pair));
    if (!stalled) flow(pair);
  });
  const flow = ([client, upstream]: [Socket, Socket]) => {
    client.pipe(upstream);
    upstream.pipe(client);
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    forwardTo(targetPort: number) {
      target = targetPort;
    },
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      open = true;
    },
    stall() {
      stalled = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    unstall() {
      stalled = false;
      for (const pair of pairs) flow(pair);
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
