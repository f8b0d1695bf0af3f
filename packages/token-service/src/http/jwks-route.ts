import type { HttpRoute } from "@roster/runtime";
import type { KeyRing } from "../crypto/signing-keys.js";

/**
 * `GET /.well-known/jwks.json`: the public keys, for resource servers that
 * verify access tokens themselves. Short caching: verifiers refetch on an
 * unknown `kid` anyway, so a rotation is picked up either way.
 */
export function createJwksRoute(keyRing: KeyRing): HttpRoute {
  return async (_req, res) => {
    const body = JSON.stringify({ keys: await keyRing.published() });
    res.writeHead(200, { "content-type": "application/jwk-set+json", "cache-control": "public, max-age=60" });
    res.end(body);
  };
}
