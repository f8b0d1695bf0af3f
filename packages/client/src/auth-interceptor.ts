import type { Interceptor } from "@connectrpc/connect";
import { bearerHeader, type Credential } from "./credential.js";

/**
 * Sends `authorization: Bearer <credential>` on every Connect call, unless the
 * call already sets its own authorization header.
 */
export function createAuthInterceptor(credential: Credential): Interceptor {
  return (next) => async (req) => {
    if (!req.header.has("authorization")) {
      req.header.set("authorization", await bearerHeader(credential));
    }
    return next(req);
  };
}
