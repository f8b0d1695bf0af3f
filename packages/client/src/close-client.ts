const closers = new WeakMap<object, () => void>();

/** Remembers how to release the connections behind a client. */
export function onClose(client: object, close: () => void): void {
  closers.set(client, close);
}

/**
 * Closes the connections of a client made by this package, so a process can
 * exit without waiting for idle timeouts. Calls after closing fail; closing
 * twice, or a client from elsewhere, does nothing.
 */
export function closeClient(client: object): void {
  closers.get(client)?.();
  closers.delete(client);
}
