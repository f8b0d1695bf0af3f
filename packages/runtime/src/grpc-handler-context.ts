import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { ContextValues, HandlerContext } from "@connectrpc/connect";
import { Code, ConnectError, createContextValues } from "@connectrpc/connect";
import type { Deadline, Metadata } from "@grpc/grpc-js";
import { deadlineSlackMs } from "./call-cancellation.js";
import { clientAddressKey, peerAddress } from "./client-address.js";
import { MetadataHeaders, headersToMetadata } from "./grpc-metadata.js";

/** The parts of a grpc-js server call (any kind) the context reads. */
export interface GrpcCall {
  readonly metadata: Metadata;
  readonly cancelled: boolean;
  getDeadline(): Deadline;
  getHost(): string;
  getPeer(): string;
  once(event: "cancelled", listener: () => void): unknown;
  sendMetadata(metadata: Metadata): void;
}

/**
 * The Connect HandlerContext of one call on the native gRPC server.
 *
 * Every field is materialised on first read: most handlers touch few of them,
 * and Headers, AbortController and ContextValues cost more per call than the
 * rest of the adapter. Reads see the complete values; only their creation is
 * deferred. It also satisfies CallGuardInput, so the guard gets it as is.
 */
export class GrpcHandlerContext implements HandlerContext {
  private abortController: AbortController | undefined;
  private requestHeaders: Headers | undefined;
  private responseHeaders: Headers | undefined;
  private responseTrailers: Headers | undefined;
  private contextValueStore: ContextValues | undefined;
  private completed = false;

  constructor(
    readonly method: DescMethod,
    private readonly call: GrpcCall,
  ) {}

  get service(): DescService {
    return this.method.parent;
  }

  get protocolName(): string {
    return "grpc";
  }

  get requestMethod(): string {
    return "POST";
  }

  get url(): string {
    return `http://${this.call.getHost()}/${this.method.parent.typeName}/${this.method.name}`;
  }

  get timeoutMs(): () => number | undefined {
    const call = this.call;
    return () => remainingMs(call);
  }

  /**
   * Aborts when the deadline passes, the client cancels, or the call has
   * completed (grpc-js reports all three as "cancelled").
   */
  get signal(): AbortSignal {
    if (this.abortController === undefined) {
      const controller = new AbortController();
      this.abortController = controller;
      const abort = () => controller.abort(this.abortReason());
      if (this.call.cancelled) abort();
      else this.call.once("cancelled", abort);
    }
    return this.abortController.signal;
  }

  get requestHeader(): Headers {
    return (this.requestHeaders ??= new MetadataHeaders(this.call.metadata));
  }

  get responseHeader(): Headers {
    return (this.responseHeaders ??= new Headers());
  }

  get responseTrailer(): Headers {
    return (this.responseTrailers ??= new Headers());
  }

  /** Starts with the client address, as connect-node's context values do (see connect-server.ts). */
  get values(): ContextValues {
    if (this.contextValueStore === undefined) {
      this.contextValueStore = createContextValues();
      this.contextValueStore.set(clientAddressKey, peerAddress(this.call.getPeer()));
    }
    return this.contextValueStore;
  }

  /** The name CallGuardInput uses for `values`. */
  get contextValues(): ContextValues {
    return this.values;
  }

  /** Sends the response headers the handler set, if any; call before the first message or the status. */
  flushResponseHeader(): void {
    const metadata = headersToMetadata(this.responseHeaders);
    if (metadata !== undefined) this.call.sendMetadata(metadata);
    this.responseHeaders = undefined;
  }

  /** The trailers the handler set, as metadata; undefined when there are none. */
  trailerMetadata(): Metadata | undefined {
    return headersToMetadata(this.responseTrailers);
  }

  /** Marks the call finished by the handler, so a later abort is not mistaken for a cancel. */
  complete(): void {
    this.completed = true;
  }

  private abortReason(): unknown {
    if (this.completed) return new ConnectError("the call has completed", Code.Canceled);
    const remaining = remainingMs(this.call);
    if (remaining !== undefined && remaining <= deadlineSlackMs) {
      return new ConnectError("the operation timed out", Code.DeadlineExceeded);
    }
    return new ConnectError("the client cancelled the call", Code.Canceled);
  }
}

function remainingMs(call: GrpcCall): number | undefined {
  const deadline = call.getDeadline();
  const at = typeof deadline === "number" ? deadline : deadline.getTime();
  return at === Infinity ? undefined : at - Date.now();
}
