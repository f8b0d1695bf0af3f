import { fromBinary, type DescMessage } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  pipe,
  transformJoinEnvelopes,
  transformSplitEnvelope,
  type EnvelopedMessage,
  type UniversalHandler,
  type UniversalServerRequest,
} from "@connectrpc/connect/protocol";

// connect-node turns bytes that do not decode into INTERNAL carrying the
// parser's text, with no hook between reading and parsing. So undecodable
// messages are swapped, before connect reads them, for a message holding one
// unknown field with the highest field number; the first interceptor sees it
// and refuses the call the same way the native gRPC port does.
const markerField = 536_870_911;
const markerBytes = new BinaryWriter().tag(markerField, WireType.Varint).uint32(0).finish();

/** Whether a request message stands for bytes that did not decode (see checkBinaryRequests). */
export function isUndecodable(message: unknown): boolean {
  const unknown = (message as { $unknown?: { no: number }[] } | undefined)?.$unknown;
  return unknown?.some((f) => f.no === markerField) === true;
}

const unaryBinary = /^application\/proto(;|$)/i;
const envelopedBinary = /^application\/(grpc|grpc-web|connect)(\+proto)?(;|$)/i;

function decodes(schema: DescMessage, bytes: Uint8Array): boolean {
  try {
    fromBinary(schema, bytes);
    return true;
  } catch {
    return false;
  }
}

async function* checkedWhole(body: AsyncIterable<Uint8Array>, schema: DescMessage, maxBytes: number): AsyncIterable<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.byteLength;
    // Over the limit: left to connect, which refuses it as RESOURCE_EXHAUSTED.
    if (size > maxBytes) break;
  }
  if (size > maxBytes) {
    yield* chunks;
    yield* body;
    return;
  }
  const bytes = Buffer.concat(chunks);
  yield decodes(schema, bytes) ? bytes : markerBytes;
}

async function* checkedEnvelopes(body: AsyncIterable<Uint8Array>, schema: DescMessage, maxBytes: number): AsyncIterable<EnvelopedMessage> {
  try {
    for await (const envelope of pipe(body, transformSplitEnvelope(maxBytes))) {
      // Compressed messages (flag 1) and end-of-stream frames are connect's to read.
      yield envelope.flags === 0 && !decodes(schema, envelope.data) ? { flags: 0, data: markerBytes } : envelope;
    }
  } catch (err) {
    if (err instanceof ConnectError && err.code === Code.ResourceExhausted) throw err;
    // A frame cut short is as undecodable as its message.
    yield { flags: 0, data: markerBytes };
  }
}

/**
 * Wraps a connect universal handler so that binary request messages that do
 * not decode reach the interceptors as marked messages (see isUndecodable),
 * for Connect unary, Connect streaming, gRPC and gRPC-Web alike. JSON passes
 * untouched: its parse errors already keep their status.
 */
export function checkBinaryRequests(handler: UniversalHandler, maxBytes: number): UniversalHandler {
  const schema = handler.method.input;
  const checked = (req: UniversalServerRequest) => {
    const type = req.header.get("content-type") ?? "";
    const body = req.body;
    if (typeof body !== "object" || body === null || !(Symbol.asyncIterator in body)) return handler(req);
    const stream = body as AsyncIterable<Uint8Array>;
    // The body may change length, so connect must not hold it to the header's.
    const header = new Headers(req.header);
    header.delete("content-length");
    if (unaryBinary.test(type)) {
      // A compressed unary body is connect's to inflate; its parse failure stays as connect reports it.
      const encoding = req.header.get("content-encoding") ?? "identity";
      if (encoding !== "identity") return handler(req);
      return handler({ ...req, header, body: checkedWhole(stream, schema, maxBytes) });
    }
    if (envelopedBinary.test(type)) {
      return handler({ ...req, header, body: pipe(checkedEnvelopes(stream, schema, maxBytes), transformJoinEnvelopes()) });
    }
    return handler(req);
  };
  return Object.assign(checked, handler);
}
