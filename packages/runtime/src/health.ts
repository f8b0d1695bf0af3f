import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Health } from "@roster/client";
import { HealthCheckResponse_ServingStatus as ServingStatus } from "@roster/client";

export { ServingStatus };

/**
 * The serving status of the whole server ("") and of each service it hosts.
 * All of them move together: a Roster service is only useful while its
 * database is reachable and its indexes exist.
 */
export class HealthState {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly listeners = new Set<() => void>();
  private closed = false;

  constructor(serviceNames: readonly string[], initial: ServingStatus = ServingStatus.NOT_SERVING) {
    for (const name of ["", ...serviceNames]) this.statuses.set(name, initial);
  }

  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /** Sets every service's status; listeners hear of it only when something changed. */
  setAll(status: ServingStatus): void {
    let changed = false;
    for (const [name, current] of this.statuses) {
      if (current !== status) {
        this.statuses.set(name, status);
        changed = true;
      }
    }
    if (changed) for (const listener of this.listeners) listener();
  }

  /** Marks everything NOT_SERVING for good and ends every Watch stream, so draining is not held up. */
  shutdown(): void {
    this.setAll(ServingStatus.NOT_SERVING);
    this.closed = true;
    for (const listener of this.listeners) listener();
  }

  get isShutDown(): boolean {
    return this.closed;
  }

  isServing(): boolean {
    return this.statuses.get("") === ServingStatus.SERVING;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** grpc.health.v1.Health over a HealthState: Check answers now, Watch streams every change. */
export function createHealthService(state: HealthState): ServiceImpl<typeof Health> {
  return {
    check(request) {
      const status = state.get(request.service);
      if (status === undefined) throw new ConnectError(`unknown service ${request.service}`, Code.NotFound);
      return { status };
    },
    async *watch(request, ctx) {
      let last: ServingStatus | undefined;
      let wake: (() => void) | undefined;
      const unsubscribe = state.onChange(() => wake?.());
      const onAbort = () => wake?.();
      ctx.signal.addEventListener("abort", onAbort);
      try {
        for (;;) {
          const status = state.get(request.service) ?? ServingStatus.SERVICE_UNKNOWN;
          if (status !== last) {
            last = status;
            yield { status };
          }
          if (ctx.signal.aborted || state.isShutDown) return;
          await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        unsubscribe();
        ctx.signal.removeEventListener("abort", onAbort);
      }
    },
  };
}
