import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { ConnectError, HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { abortStatus, untilStopped, withStopSignal } from "./call-cancellation.js";
import { recheckKey } from "./caller.js";
import { toConnectError } from "./error-mapping.js";

/** A service descriptor and the handlers that implement (part of) it. */
export interface ServiceRegistration<S extends DescService = DescService> {
  service: S;
  impl: Partial<ServiceImpl<S>>;
  /**
   * Native gRPC response encoders by method name, for hot responses: each must give exactly the
   * bytes `toBinary(create(output, value))` gives for whatever its handler returns. Connect still
   * encodes with protobuf-es.
   */
  encoders?: Partial<Record<keyof ServiceImpl<S>, ResponseEncoder>>;
}

/** A method's response value as protobuf binary. */
export type ResponseEncoder = (value: unknown) => Uint8Array;

export interface HandlerHooks {
  /** Receives every error that is not a domain or Connect error; the caller only sees INTERNAL. */
  onInternalError(err: unknown, method: DescMethod): void;
  /** Hears of every finished call: its status code (0 = OK) and how long it took. */
  onCallEnd?(method: DescMethod, code: number, seconds: number): void;
  /** Hears of every call the client cancelled or let run past its deadline (not a server fault). */
  onAbandoned?(status: ConnectError, method: DescMethod): void;
  /** Aborts when the server shuts down: open streams end at once with UNAVAILABLE. */
  stopping?: AbortSignal;
}

type AnyHandler = (input: unknown, ctx: HandlerContext) => unknown;

/**
 * Wraps every handler of a registration so that whatever it throws leaves as a
 * proper status (see toConnectError) and every call is counted. Applied once,
 * before the handlers are handed to both servers, so native gRPC and Connect
 * answer and measure identically.
 */
export function wrapHandlers<S extends DescService>(
  registration: ServiceRegistration<S>,
  hooks: HandlerHooks,
): ServiceRegistration<S> {
  const source = registration.impl as Record<string, AnyHandler | undefined>;
  const wrapped: Record<string, AnyHandler> = {};
  const stopping = hooks.stopping;
  for (const method of registration.service.methods) {
    const handler = source[method.localName];
    if (handler === undefined) continue;
    const onInternal = (err: unknown) => hooks.onInternalError(err, method);
    const abandoned = (ctx: HandlerContext) => {
      const status = abortStatus(ctx);
      hooks.onAbandoned?.(status, method);
      return status;
    };
    // Once the client has cancelled (or the deadline passed), what the handler throws is that abort.
    const failureOf = (err: unknown, ctx: HandlerContext) =>
      ctx.signal.aborted ? abandoned(ctx) : toConnectError(err, onInternal);
    const bound = handler.bind(registration.impl);
    const end = hooks.onCallEnd
      ? (code: number, start: number) => hooks.onCallEnd?.(method, code, (performance.now() - start) / 1000)
      : undefined;
    switch (method.methodKind) {
      case "unary":
      case "client_streaming":
        wrapped[method.localName] = async (input, ctx) => {
          const start = end === undefined ? 0 : performance.now();
          try {
            const output = await bound(input, ctx);
            end?.(0, start);
            return output;
          } catch (err) {
            const status = failureOf(err, ctx);
            end?.(status.code, start);
            throw status;
          }
        };
        break;
      case "server_streaming":
      case "bidi_streaming":
        wrapped[method.localName] = async function* (input, ctx) {
          const start = end === undefined ? 0 : performance.now();
          let code: number | undefined;
          try {
            const output =
              stopping === undefined
                ? (bound(input, ctx) as AsyncIterable<unknown>)
                : untilStopped(bound(input, withStopSignal(ctx, stopping)) as AsyncIterable<unknown>, stopping);
            const recheck = ctx.values.get(recheckKey);
            for await (const message of output) {
              // A stream outlives the check made when it opened: nothing is sent once its credential is revoked.
              await recheck?.();
              yield message;
            }
            code = ctx.signal.aborted ? abandoned(ctx).code : 0;
          } catch (err) {
            const status = failureOf(err, ctx);
            code = status.code;
            throw status;
          } finally {
            // No code yet: the server stopped reading the stream because its client went away.
            end?.(code ?? abandoned(ctx).code, start);
          }
        };
        break;
    }
  }
  return { service: registration.service, impl: wrapped as Partial<ServiceImpl<S>>, encoders: registration.encoders };
}
