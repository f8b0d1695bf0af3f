import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import type { connectNodeAdapter } from "@connectrpc/connect-node";

/** A request handler that serves both HTTP/1.1 and HTTP/2 requests (what connect-node produces). */
export type HttpHandler = ReturnType<typeof connectNodeAdapter>;

export interface HttpListener {
  port: number;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then drops what is left. */
  close(graceMs: number): Promise<void>;
}

const http2Preface = Buffer.from("PRI * HTTP/2.0");

/**
 * One plaintext port for HTTP/1.1 and HTTP/2 (prior knowledge): curl's
 * default HTTP/1.1 JSON calls and gRPC clients' h2c both land on the same
 * handler. The first bytes decide: only HTTP/2 opens with "PRI * HTTP/2.0".
 */
export async function listenHttp(handler: HttpHandler, host: string, port: number): Promise<HttpListener> {
  const h1 = http.createServer(handler);
  const h2 = http2.createServer({}, handler);
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.once("data", (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      const head = chunk.subarray(0, Math.min(chunk.length, http2Preface.length));
      (head.equals(http2Preface.subarray(0, head.length)) ? h2 : h1).emit("connection", socket);
      socket.resume();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.close();
      h1.closeIdleConnections();
      const deadline = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(deadline);
    },
  };
}
