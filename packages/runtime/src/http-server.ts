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

// An HTTP/2 session runs over the replaying stream, whose socket has no peer address of its own.
const sessionAddresses = new WeakMap<http2.Http2Session, string | undefined>();

/** The TCP peer address of a request, over HTTP/1.1 or HTTP/2 (a session on a real socket, TLS say, needs no entry). */
export function remoteAddressOf(req: http.IncomingMessage | http2.Http2ServerRequest): string | undefined {
  const session = "stream" in req ? req.stream.session : undefined;
  return (session !== undefined ? sessionAddresses.get(session) : undefined) ?? req.socket.remoteAddress;
}

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
  // The "connection" event creates the session synchronously: this is its socket's address.
  let connectingAddress: string | undefined;
  h2.on("session", (session) => {
    sessionAddresses.set(session, connectingAddress);
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.once("data", (chunk: Buffer) => {
      socket.pause();
      const head = chunk.subarray(0, Math.min(chunk.length, http2Preface.length));
      if (head.equals(http2Preface.subarray(0, head.length))) {
        connectingAddress = socket.remoteAddress;
        h2.emit("connection", replaying(socket, chunk));
        connectingAddress = undefined;
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
      h1.closeIdleConnections();
      const deadline = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(deadline);
    },
  };
}
