import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import type { connectNodeAdapter } from "@connectrpc/connect-node";
import type { TlsIdentity, TlsSource } from "./tls-config.js";

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
 * The HTTP port: Connect, gRPC-Web and gRPC over HTTP/1.1 and HTTP/2, over
 * TLS when the source holds a certificate. In plaintext, curl's default
 * HTTP/1.1 JSON calls and gRPC clients' h2c (prior knowledge) land on the
 * same handler: the first bytes decide, only HTTP/2 opens with "PRI * HTTP/2.0".
 */
export async function listenHttp(
  handler: HttpHandler,
  host: string,
  port: number,
  tls?: TlsSource,
): Promise<HttpListener> {
  const identity = tls?.tls.identity;
  if (tls !== undefined && identity !== undefined) return listenSecure(handler, host, port, tls, identity);

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
  return serve(server, host, port, sockets, () => {
    for (const session of sessions) session.close();
    for (const socket of silent) socket.destroy();
    h1.closeIdleConnections();
  });
}

/**
 * Listens, and closes in two steps: `closeIdle` ends every connection with no
 * request in flight at once, the rest are dropped when the grace runs out.
 */
async function serve(
  server: net.Server,
  host: string,
  port: number,
  sockets: Set<net.Socket>,
  closeIdle: () => void,
): Promise<HttpListener> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      closeIdle();
      const deadline = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(deadline);
    },
  };
}

/**
 * TLS with ALPN: HTTP/2 for gRPC and Connect clients, HTTP/1.1 for browsers
 * and curl's JSON calls. With client auth required, a connection without a
 * certificate signed by the CA fails in the handshake, before any request.
 */
function listenSecure(
  handler: HttpHandler,
  host: string,
  port: number,
  source: TlsSource,
  identity: TlsIdentity,
): Promise<HttpListener> {
  const server = http2.createSecureServer(
    {
      ...identity,
      ca: source.tls.ca,
      requestCert: source.tls.clientAuth === "require",
      rejectUnauthorized: true,
      allowHTTP1: true,
    },
    handler,
  );
  // New connections get the renewed certificate; open ones keep theirs.
  source.onChange((tls) => server.setSecureContext({ ...tls.identity, ca: tls.ca }));
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  // HTTP/1.1 connections and their requests in flight; HTTP/2 sessions close themselves once drained.
  const h1 = new Map<TLSSocket, number>();
  let closing = false;
  server.on("secureConnection", (socket: TLSSocket) => {
    if (socket.alpnProtocol === "h2") return;
    h1.set(socket, 0);
    socket.once("close", () => h1.delete(socket));
  });
  server.on(
    "request",
    (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
      if (req.httpVersionMajor !== 1) return;
      const socket = req.socket as TLSSocket;
      h1.set(socket, (h1.get(socket) ?? 0) + 1);
      res.once("close", () => {
        const inFlight = (h1.get(socket) ?? 1) - 1;
        h1.set(socket, inFlight);
        if (closing && inFlight === 0) socket.end();
      });
    },
  );
  return serve(server, host, port, sockets, () => {
    closing = true;
    for (const session of sessions) session.close();
    for (const [socket, inFlight] of h1) if (inFlight === 0) socket.end();
  });
}
