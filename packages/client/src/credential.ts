/** A bearer credential: an API key or access token, or a function that yields one (for tokens that rotate). */
export type Credential = string | (() => string | Promise<string>);

/** The `authorization` header value for a credential. */
export async function bearerHeader(credential: Credential): Promise<string> {
  const value = typeof credential === "string" ? credential : await credential();
  return `Bearer ${value}`;
}
