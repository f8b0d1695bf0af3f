// Connect's JSON protocol over fetch: exactly what `curl -H 'content-type: application/json' -d ...` sends.

export interface JsonReply {
  status: number;
  body: Record<string, unknown>;
}

export async function connectJson(port: number, path: string, body: unknown, credential?: string): Promise<JsonReply> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (credential !== undefined) headers.authorization = `Bearer ${credential}`;
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
