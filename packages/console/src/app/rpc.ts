import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { RoleService, TokenService, UserService } from "@roster/client/contract";
import type { Session } from "./session.js";

export interface Clients {
  users: Client<typeof UserService>;
  roles: Client<typeof RoleService>;
  tokens: Client<typeof TokenService>;
}

/**
 * user-service serves the page and its own RPCs on this origin; token-service
 * calls go to `token/` under the console's path, which user-service forwards.
 */
export function createClients(session: Session): Clients {
  const auth: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${session.credential}`);
    return next(req);
  };
  const here = new URL(".", window.location.href);
  const origin = createConnectTransport({ baseUrl: here.origin, interceptors: [auth], defaultTimeoutMs: 15_000 });
  const tokenRoute = createConnectTransport({
    baseUrl: new URL("token", here).href,
    interceptors: [auth],
    defaultTimeoutMs: 15_000,
  });
  return {
    users: createClient(UserService, origin),
    roles: createClient(RoleService, origin),
    tokens: createClient(TokenService, tokenRoute),
  };
}
