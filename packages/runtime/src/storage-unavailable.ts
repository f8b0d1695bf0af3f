/**
 * Errors of the MongoDB driver that mean "the database cannot be reached
 * now", as opposed to a refusal of the operation: no server could be
 * selected, the connection broke or timed out, the pool was cleared, the
 * client is closed, or the server is stepping down or shutting down. Matched
 * by name and code, not `instanceof`, so a second copy of the driver is
 * recognised too.
 */
const unreachableNames = new Set([
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoServerSelectionError",
  "MongoNotConnectedError",
  "MongoTopologyClosedError",
  "MongoPoolClearedError",
  "MongoServerClosedError",
  "MongoOperationTimeoutError",
]);

/** Server error codes of a node that is unreachable, shutting down or no longer primary. */
const unreachableCodes = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/**
 * Socket errors the driver sometimes lets through unwrapped (a write to a
 * connection the server has just closed fails with a bare EPIPE). The
 * database is the only peer a service reaches through raw sockets: the other
 * service is called through gRPC clients, whose failures are ConnectErrors.
 */
const brokenSocketCodes = new Set([
  "EPIPE",
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

export function isStorageUnavailable(err: unknown): boolean {
  for (let cause = err, depth = 0; typeof cause === "object" && cause !== null && depth < 5; depth++) {
    const { name, code } = cause as { name?: unknown; code?: unknown };
    if (typeof name === "string" && name.startsWith("Mongo")) {
      return unreachableNames.has(name) || (typeof code === "number" && unreachableCodes.has(code));
    }
    if (typeof code === "string" && brokenSocketCodes.has(code)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}
