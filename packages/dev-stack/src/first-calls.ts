// The last thing `npm start` prints: a first authenticated call to paste into another terminal.
import type { StackPorts } from "./stack.js";

/** `value` as one POSIX shell word. */
export function shellQuoted(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export interface FirstCallsOptions {
  ports: Pick<StackPorts, "userGrpc" | "userHttp">;
  /** The management key to show; without one the lines read it from `$ROSTER_KEY`. */
  apiKey?: string;
  /** Set when the services serve TLS: the CA that verifies them, if not the system's roots. */
  tls?: { caFile?: string };
}

const service = "roster.user.v1.UserService";
const method = "SearchUsers";
const request = '{"page_size": 10}';

/** A grpcurl line and a curl line that both list the first users, exactly as they run in a shell. */
export function firstCalls({ ports, apiKey, tls }: FirstCallsOptions): { grpcurl: string; curl: string } {
  const authorization =
    apiKey === undefined ? '"authorization: Bearer $ROSTER_KEY"' : shellQuoted(`authorization: Bearer ${apiKey}`);
  const ca = tls?.caFile === undefined ? [] : [shellQuoted(tls.caFile)];
  const grpcurl = [
    "grpcurl",
    ...(tls === undefined ? ["-plaintext"] : ca.map((file) => `-cacert ${file}`)),
    "-H",
    authorization,
    "-d",
    shellQuoted(request),
  ];
  const scheme = tls === undefined ? "http" : "https";
  const curl = [
    "curl",
    "-s",
    ...ca.map((file) => `--cacert ${file}`),
    "-H",
    "'content-type: application/json'",
    "-H",
    authorization,
    "-d",
    shellQuoted(request),
  ];
  return {
    grpcurl: [...grpcurl, `127.0.0.1:${ports.userGrpc}`, `${service}/${method}`].join(" "),
    curl: [...curl, `${scheme}://127.0.0.1:${ports.userHttp}/${service}/${method}`].join(" "),
  };
}
