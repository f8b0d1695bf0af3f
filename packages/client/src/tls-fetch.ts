import type { FetchImplementation } from "jose";
import { Agent, fetch as undiciFetch } from "undici";
import type { ClientTls } from "./client-tls.js";

/** A fetch for jose's remote key set that verifies an https:// server against `tls.ca` and presents `tls.cert`. */
export function tlsFetch(tls: ClientTls): FetchImplementation {
  const dispatcher = new Agent({ connect: { ca: tls.ca, cert: tls.cert, key: tls.key } });
  return async (url, { headers, method, redirect, signal }) =>
    (await undiciFetch(url, { headers: [...headers], method, redirect, signal, dispatcher })) as unknown as Response;
}
