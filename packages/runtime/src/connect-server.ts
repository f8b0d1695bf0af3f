import type { DescMethod } from "@bufbuild/protobuf";
import { createContextValues, type Interceptor, type MethodImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { clientAddressKey, socketAddress } from "./client-address.js";
import { withCors } from "./cors.js";
import type { CallGuard } from "./grpc-server.js";
import { remoteAddressOf, type HttpHandler } from "./http-server.js";
import { checkBinaryRequests, isUndecodable } from "./binary-requests.js";
import { malformedRequest, strictJsonOptions } from "./request-decoding.js";
import type { ServiceRegistration } from "./service-registration.js";

/** A plain-HTTP endpoint beside the RPCs (probes, metrics, JWKS). */
export type HttpRoute = (...args: Parameters<HttpHandler>) => void | Promise<void>;

export interface ConnectHandlerOptions {
  services: readonly ServiceRegistration[];
  guard?: CallGuard;
  /** GET routes by exact path. */
  httpRoutes?: Readonly<Record<string, HttpRoute>>;
  /** Serves what no RPC or route claims (any method); a plain 404 when omitted. */
  httpFallback?: HttpRoute;
  maxReceiveMessageBytes: number;
  /** Origins whose browser scripts may call these endpoints (CORS); none by default. */
  corsOrigins?: readonly string[];
}

/**
 * Connect, gRPC-Web and gRPC on @connectrpc/connect-node, over the same
 * handlers the native gRPC server runs, with the same guard in front.
 */
export function createConnectHandler(options: ConnectHandlerOptions): HttpHandler {
  const interceptors: Interceptor[] = [];
  const guard = options.guard;
  interceptors.push((next) => async (req) => {
    if (!req.stream && isUndecodable(req.message)) throw malformedRequest("cannot decode request");
    if (guard !== undefined) {
      await guard({
        service: req.service,
        method: req.method,
        requestHeader: req.header,
        contextValues: req.contextValues,
      });
    }
    return next(req);
  });
  const routes = options.httpRoutes ?? {};
  const adapter = connectNodeAdapter({
    routes(router) {
      for (const { service, impl } of options.services) {
        const handlers = impl as Record<string, MethodImpl<DescMethod> | undefined>;
        for (const method of service.methods) {
          const handler = handlers[method.localName];
          if (handler === undefined) continue;
          const bound = (handler as (...args: unknown[]) => unknown).bind(impl) as MethodImpl<DescMethod>;
          router.rpc(method, bound, { jsonOptions: strictJsonOptions(method) });
        }
      }
      // The adapter serves router.handlers as they are once this returns.
      const handlers = router.handlers.map((h) => checkBinaryRequests(h, options.maxReceiveMessageBytes));
      router.handlers.splice(0, handlers.length, ...handlers);
    },
    interceptors,
    contextValues: (req) => createContextValues().set(clientAddressKey, socketAddress(remoteAddressOf(req))),
    readMaxBytes: options.maxReceiveMessageBytes,
    fallback(req, res) {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const route = (req.method === "GET" || req.method === "HEAD" ? routes[path] : undefined) ?? options.httpFallback;
      if (route === undefined) {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found\n");
        return;
      }
      Promise.resolve(route(req, res)).catch(() => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end("internal error\n");
      });
    },
  });
  return withCors(adapter, options.corsOrigins ?? []);
}
