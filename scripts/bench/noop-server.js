// Child process: serves the no-op method with one transport on 127.0.0.1 and
// reports the bound port to its parent. Usage: node noop-server.js grpc-js|adapter|connect
import { Buffer } from "node:buffer";
import http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createGrpcServer, listenGrpc } from "../../packages/runtime/dist/grpc-server.js";
import { noopImpl, noopPath, noopService } from "./noop-service.js";
import { serveChild } from "./server-process.js";

const empty = Buffer.alloc(0);
const identity = (bytes) => bytes;

const starters = {
  /** grpc-js alone: no protobuf, no context; the ceiling (without channelz, as the adapter runs). */
  "grpc-js": () => {
    const server = new grpc.Server({ "grpc.enable_channelz": 0 });
    server.register(noopPath, (_call, callback) => callback(null, empty), identity, identity, "unary");
    return listenGrpc(server, "127.0.0.1", 0).then((port) => ({ port, close: () => server.forceShutdown() }));
  },
  adapter: () => {
    const server = createGrpcServer({ services: [{ service: noopService, impl: noopImpl }] });
    return listenGrpc(server, "127.0.0.1", 0).then((port) => ({ port, close: () => server.forceShutdown() }));
  },
  connect: () => {
    const server = http2.createServer(
      connectNodeAdapter({ routes: (router) => router.service(noopService, noopImpl) }),
    );
    return new Promise((resolve) => {
      server.listen(0, "127.0.0.1", () => resolve({ port: server.address().port, close: () => server.close() }));
    });
  },
};

const start = starters[process.argv[2]];
if (start === undefined) {
  console.error(`unknown target ${process.argv[2]}; one of ${Object.keys(starters).join(", ")}`);
  process.exit(2);
}
serveChild(start);
