import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { Duplex } from "node:stream";
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
 * The socket as a stream that first yields `head`, the bytes already read to
 * tell the protocol apart. The HTTP/2 session reads a socket's native handle
 * directly and would never see bytes put back with `unshift` (HTTP/1 does).
 */
function replaying(socket: net.Socket, head: Buffer): Duplex {
  const stream = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, callback) => void socket.write(chunk, callback),
    final: (callback) => void socket.end(callback),
    destroy: (err, callback) => {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  stream.push(head);
  socket.on("data", (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.once("end", () => stream.push(null));
  socket.once("error", (err) => stream.destroy(err));
  socket.once("close", () => stream.destroy());
  return stream;
}

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
  // Connections that have not sent a byte yet: no request of theirs can be in flight.
  const silent = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    silent.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      silent.delete(socket);
    });
    socket.once("data", (chunk: Buffer) => {
      silent.delete(socket);
      socket.pause();
      const head = chunk.subarray(0, Math.min(chunk.length, http2Preface.length));
      if (head.equals(http2Preface.subarray(0, head.length))) {
        h2.emit("connection", replaying(socket, chunk));
      } else {
        socket.unshift(chunk);
        h1.emit("connection", socket);
        socket.resume();
      }
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
      for (const socket of silent) socket.destroy();
      h1.closeIdleConnections();
      const deadline = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(deadline);
    },
  };
}
