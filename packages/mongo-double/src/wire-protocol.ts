import { deserialize } from "bson";
import type { Doc } from "./bson-values.js";
import { serializeReply } from "./encoded-docs.js";

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;

const HEADER_SIZE = 16;
const CHECKSUM_PRESENT = 1;
export const MORE_TO_COME = 2;

/** A request as it arrived: the command body with document sequences folded in. */
export interface WireRequest {
  requestId: number;
  opCode: number;
  /** Set for OP_MSG when the client expects no reply. */
  moreToCome: boolean;
  body: Doc;
  /** The database OP_QUERY names in its collection (`admin.$cmd`); OP_MSG carries `$db` instead. */
  db: string;
}

// Numbers keep their BSON type; the store decides how to hold them.
const DECODE_OPTIONS = { promoteValues: false, promoteBuffers: false, bsonRegExp: false } as const;

const decode = (buffer: Buffer, offset: number): { doc: Doc; size: number } => {
  const size = buffer.readInt32LE(offset);
  return { doc: deserialize(buffer.subarray(offset, offset + size), DECODE_OPTIONS) as Doc, size };
};

/**
 * Accumulates bytes from a socket and yields whole messages. The chunks of a
 * message are joined once, when it is complete: a large insert arrives in
 * hundreds of chunks, and joining at each one would copy it hundreds of times.
 */
export class MessageReader {
  #chunks: Buffer[] = [];
  #buffered = 0;

  /** Throws on a length no message can have; the connection is then closed. */
  push(chunk: Buffer): Buffer[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const messages: Buffer[] = [];
    while (this.#buffered >= 4) {
      let first = this.#chunks[0]!.length >= 4 ? this.#chunks[0]! : this.#join();
      const length = first.readInt32LE(0);
      if (length < HEADER_SIZE) throw new Error(`invalid message length ${length}`);
      if (this.#buffered < length) break;
      if (first.length < length) first = this.#join();
      messages.push(first.subarray(0, length));
      this.#buffered -= length;
      if (first.length === length) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(length);
    }
    return messages;
  }

  #join(): Buffer {
    const joined = Buffer.concat(this.#chunks);
    this.#chunks = [joined];
    return joined;
  }
}

export function parseMessage(message: Buffer): WireRequest {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_QUERY) {
    let offset = HEADER_SIZE + 4;
    const nameEnd = message.indexOf(0, offset);
    const db = message.toString("utf8", offset, nameEnd).split(".")[0] ?? "admin";
    offset = nameEnd + 1 + 8;
    return { requestId, opCode, moreToCome: false, body: decode(message, offset).doc, db };
  }
  if (opCode !== OP_MSG) throw new Error(`unsupported opcode ${opCode}`);
  const flags = message.readUInt32LE(HEADER_SIZE);
  const end = message.length - (flags & CHECKSUM_PRESENT ? 4 : 0);
  let offset = HEADER_SIZE + 4;
  let body: Doc | undefined;
  const sequences: Array<[string, Doc[]]> = [];
  while (offset < end) {
    const kind = message.readUInt8(offset);
    offset += 1;
    if (kind === 0) {
      const { doc, size } = decode(message, offset);
      body = doc;
      offset += size;
    } else {
      const sectionEnd = offset + message.readInt32LE(offset);
      const nameEnd = message.indexOf(0, offset + 4);
      const name = message.toString("utf8", offset + 4, nameEnd);
      const docs: Doc[] = [];
      for (let at = nameEnd + 1; at < sectionEnd; ) {
        const { doc, size } = decode(message, at);
        docs.push(doc);
        at += size;
      }
      sequences.push([name, docs]);
      offset = sectionEnd;
    }
  }
  if (!body) throw new Error("OP_MSG without a body section");
  for (const [name, docs] of sequences) body[name] = docs;
  return { requestId, opCode, moreToCome: (flags & MORE_TO_COME) !== 0, body, db: "admin" };
}

let nextResponseId = 1;

const header = (length: number, responseTo: number, opCode: number): Buffer => {
  const buffer = Buffer.alloc(HEADER_SIZE);
  buffer.writeInt32LE(length, 0);
  buffer.writeInt32LE(nextResponseId++ & 0x7fffffff, 4);
  buffer.writeInt32LE(responseTo, 8);
  buffer.writeInt32LE(opCode, 12);
  return buffer;
};

/** Encodes the reply in the protocol the request used: OP_REPLY for OP_QUERY, else OP_MSG. */
export function encodeReply(request: WireRequest, reply: Doc): Buffer {
  const doc = serializeReply(reply);
  if (request.opCode === OP_QUERY) {
    const fields = Buffer.alloc(20);
    fields.writeInt32LE(0, 0); // responseFlags
    fields.writeBigInt64LE(0n, 4); // cursorID
    fields.writeInt32LE(0, 12); // startingFrom
    fields.writeInt32LE(1, 16); // numberReturned
    const length = HEADER_SIZE + fields.length + doc.length;
    return Buffer.concat([header(length, request.requestId, OP_REPLY), fields, doc]);
  }
  const prefix = Buffer.alloc(5); // flagBits 0, section kind 0
  const length = HEADER_SIZE + prefix.length + doc.length;
  return Buffer.concat([header(length, request.requestId, OP_MSG), prefix, doc]);
}
