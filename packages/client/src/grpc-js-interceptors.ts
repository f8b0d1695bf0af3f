import { InterceptingCall, Metadata, status, type Interceptor } from "@grpc/grpc-js";
import { bearerHeader, type Credential } from "./credential.js";

/**
 * A @grpc/grpc-js interceptor that sends `authorization: Bearer <credential>`
 * unless the call already carries an authorization entry. A credential
 * function that fails ends the call with UNAUTHENTICATED before anything is sent.
 */
export function createGrpcJsAuthInterceptor(credential: Credential): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        if (metadata.get("authorization").length > 0) return next(metadata, listener);
        bearerHeader(credential).then(
          (header) => {
            metadata.set("authorization", header);
            next(metadata, listener);
          },
          (err: unknown) => {
            const details = `credential unavailable: ${err instanceof Error ? err.message : String(err)}`;
            listener.onReceiveStatus({ code: status.UNAUTHENTICATED, details, metadata: new Metadata() });
          },
        );
      },
    });
}

/**
 * A @grpc/grpc-js interceptor that gives calls without a deadline one
 * `timeoutMs` from now, so no call can wait forever on a stalled server.
 */
export function createGrpcJsDeadlineInterceptor(timeoutMs: number): Interceptor {
  return (options, nextCall) => {
    const open = options.deadline === undefined || options.deadline === Infinity;
    return new InterceptingCall(nextCall(open ? { ...options, deadline: Date.now() + timeoutMs } : options));
  };
}
