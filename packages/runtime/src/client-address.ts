import { createContextKey, type HandlerContext } from "@connectrpc/connect";

/**
 * The network address a call came from: the TCP peer of the connection, as
 * both servers see it. A forwarding header (X-Forwarded-For) is never read,
 * because any caller can write one; behind a proxy every call shows the
 * proxy's address.
 */
export const clientAddressKey = createContextKey<string>("unknown", { description: "client address" });

/** Where a call came from and what it asked for: what a refusal is logged and throttled by. */
export interface CallOrigin {
  /** The client address (see clientAddressKey). */
  address: string;
  /** `package.Service/Method`. */
  method: string;
}

export function originOf(ctx: HandlerContext): CallOrigin {
  return { address: ctx.values.get(clientAddressKey), method: `${ctx.service.typeName}/${ctx.method.name}` };
}

/** The address of a socket; an IPv4 client of a dual-stack listener reads as plain IPv4. */
export function socketAddress(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined || remoteAddress === "") return "unknown";
  return remoteAddress.startsWith("::ffff:") && remoteAddress.includes(".") ? remoteAddress.slice(7) : remoteAddress;
}

/** The address of a grpc-js peer string: `1.2.3.4:port`, `::1:port` or `[::1]:port`, without the port. */
export function peerAddress(peer: string): string {
  const colons = peer.split(":").length - 1;
  if (colons === 0) return socketAddress(peer);
  const host = peer.slice(0, peer.lastIndexOf(":"));
  return socketAddress(host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host);
}
