import { createContextValues, ConnectError, Code } from "@connectrpc/connect";
import type { ClientTls } from "@roster/client";
import { codeToHttpStatus, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { TokenService } from "@roster/client/contract";
import { clientAddressKey, socketAddress, remoteAddressOf, type CallGuard, type HttpRoute } from "@roster/runtime";
import { Agent, fetch as undiciFetch } from "undici";

/** The token-service methods the console calls: personal access token management, nothing else. */
export const forwardedMethods: ReadonlySet<string> = new Set([
  "CreatePersonalAccessToken",
  "ListPersonalAccessTokens",
  "UpdatePersonalAccessToken",
  "DeletePersonalAccessToken",
]);

/** Request headers token-service needs from the browser; cookies and the rest stay here. */
const forwardedHeaders = ["authorization", "content-type", "connect-protocol-version", "connect-timeout-ms"];

export interface TokenForwardingOptions {
  /** token-service's HTTP (Connect) base URL. */
  tokenServiceHttpUrl: string;
  /** Checks the credential here first: a refusal never reaches token-service, and is logged and counted with the browser's address, not this server's. */
  guard: CallGuard;
  maxMessageBytes: number;
  /** CA and client certificate for an https:// token-service. */
  tls?: ClientTls;
}

type Req = Parameters<HttpRoute>[0];
type Res = Parameters<HttpRoute>[1];

function sendError(res: Res, error: ConnectError): void {
  res.writeHead(codeToHttpStatus(error.code), { "content-type": "application/json" });
  res.end(Buffer.from(errorToJsonBytes(error, {})));
}

async function readBody(req: Req, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Forwards the console's unary Connect calls for personal access tokens to
 * token-service, which authorizes them itself: the page needs one origin
 * only, and token-service needs no CORS for it.
 */
export function createTokenForwarder(
  options: TokenForwardingOptions,
): (req: Req, res: Res, procedure: string) => Promise<void> {
  const base = options.tokenServiceHttpUrl.replace(/\/+$/, "");
  const dispatcher = new Agent({ connect: { ca: options.tls?.ca, cert: options.tls?.cert, key: options.tls?.key } });
  return async (req, res, procedure) => {
    const [serviceName, methodName = ""] = procedure.split("/", 2);
    const method =
      serviceName === TokenService.typeName ? TokenService.methods.find((m) => m.name === methodName) : undefined;
    if (req.method !== "POST" || method === undefined || !forwardedMethods.has(methodName)) {
      sendError(res, new ConnectError(`${procedure} is not served here`, Code.Unimplemented));
      return;
    }
    const requestHeader = new Headers();
    for (const name of forwardedHeaders) {
      const value = req.headers[name];
      if (typeof value === "string") requestHeader.set(name, value);
    }
    try {
      const contextValues = createContextValues().set(clientAddressKey, socketAddress(remoteAddressOf(req)));
      await options.guard({ service: TokenService, method, requestHeader, contextValues });
    } catch (err) {
      sendError(res, ConnectError.from(err));
      return;
    }
    const body = await readBody(req, options.maxMessageBytes);
    if (body === undefined) {
      sendError(res, new ConnectError("request is too large", Code.ResourceExhausted));
      return;
    }
    let answer;
    try {
      answer = await undiciFetch(`${base}/${TokenService.typeName}/${methodName}`, {
        method: "POST",
        headers: [...requestHeader],
        body,
        dispatcher,
      });
    } catch {
      sendError(res, new ConnectError("token-service is unavailable", Code.Unavailable));
      return;
    }
    const bytes = Buffer.from(await answer.arrayBuffer());
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
    res.end(bytes);
  };
}
