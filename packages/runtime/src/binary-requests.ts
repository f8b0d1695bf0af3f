import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
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

/**
 * How to check a message under a content encoding: inflate (capped at the
 * message limit) and the marker in that encoding. Undefined for encodings
 * connect does not accept either; those keep connect's own answer.
 */
interface Codec {
  inflate(bytes: Uint8Array, maxBytes: number): Uint8Array;
  marker: Uint8Array;
}

const codecs: Record<string, Codec> = {
  identity: { inflate: (bytes) => bytes, marker: markerBytes },
  gzip: { inflate: (bytes, max) => gunzipSync(bytes, { maxOutputLength: max }), marker: gzipSync(markerBytes) },
  br: {
    inflate: (bytes, max) => brotliDecompressSync(bytes, { maxOutputLength: max }),
    marker: brotliCompressSync(markerBytes),
  },
};

/** Whether `bytes` are clearly not a message: they inflate (within the limit) to bytes that do not decode. */
function undecodable(schema: DescMessage, codec: Codec, bytes: Uint8Array, maxBytes: number): boolean {
  let plain: Uint8Array;
  try {
    plain = codec.inflate(bytes, maxBytes);
  } catch {
    // Not inflatable or over the limit: connect reports that itself.
    return false;
  }
  return !decodes(schema, plain);
}

async function* checkedWhole(
  body: AsyncIterable<Uint8Array>,
  schema: DescMessage,
  codec: Codec,
  maxBytes: number,
): AsyncIterable<Uint8Array> {
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
  yield undecodable(schema, codec, bytes, maxBytes) ? codec.marker : bytes;
}

async function* checkedEnvelopes(
  body: AsyncIterable<Uint8Array>,
  schema: DescMessage,
  codec: Codec | undefined,
  maxBytes: number,
): AsyncIterable<EnvelopedMessage> {
  try {
    for await (const envelope of pipe(body, transformSplitEnvelope(maxBytes))) {
      // Flag 1 marks a message compressed with the stream's encoding; other flags (end of stream) are connect's.
      const used = envelope.flags === 0 ? codecs.identity : envelope.flags === 1 ? codec : undefined;
      yield used !== undefined && undecodable(schema, used, envelope.data, maxBytes)
        ? { flags: envelope.flags, data: used.marker }
        : envelope;
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
      const codec = codecs[req.header.get("content-encoding") ?? "identity"];
      if (codec === undefined) return handler(req);
      return handler({ ...req, header, body: checkedWhole(stream, schema, codec, maxBytes) });
    }
    if (envelopedBinary.test(type)) {
      const codec = codecs[req.header.get("grpc-encoding") ?? req.header.get("connect-content-encoding") ?? "identity"];
      return handler({
        ...req,
        header,
        body: pipe(checkedEnvelopes(stream, schema, codec, maxBytes), transformJoinEnvelopes()),
      });
    }
    return handler(req);
  };
  return Object.assign(checked, handler);
}
