import { serialize } from "bson";
import { describe, expect, it } from "vitest";
import { MORE_TO_COME, MessageReader, OP_MSG, parseMessage } from "./wire-protocol.js";

function opMsg(flags: number, body: object, sequence?: { name: string; docs: object[] }): Buffer {
  const parts: Buffer[] = [Buffer.from([0]), Buffer.from(serialize(body))];
  if (sequence) {
    const docs = Buffer.concat(sequence.docs.map((doc) => Buffer.from(serialize(doc))));
    const name = Buffer.from(`${sequence.name}\0`);
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + name.length + docs.length);
    parts.push(Buffer.from([1]), size, name, docs);
  }
  const payload = Buffer.concat(parts);
  const header = Buffer.alloc(20);
  header.writeInt32LE(20 + payload.length, 0);
  header.writeInt32LE(7, 4);
  header.writeInt32LE(OP_MSG, 12);
  header.writeUInt32LE(flags, 16);
  return Buffer.concat([header, payload]);
}

describe("wire protocol framing", () => {
  it("when a message arrives in pieces then it is yielded once complete", () => {
    const message = opMsg(0, { ping: 1, $db: "admin" });
    const reader = new MessageReader();
    expect(reader.push(message.subarray(0, 10))).toEqual([]);
    expect(reader.push(message.subarray(10))).toHaveLength(1);
  });

  it("when messages arrive in many small pieces, several to a chunk, then each is yielded whole, once, in order", () => {
    const messages = [
      opMsg(0, { ping: 1, $db: "admin" }),
      opMsg(0, { insert: "c", documents: [{ a: "x".repeat(5_000) }], $db: "d" }),
      opMsg(0, { hello: 1, $db: "admin" }),
    ];
    const bytes = Buffer.concat(messages);
    const reader = new MessageReader();
    const yielded: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 3) yielded.push(...reader.push(bytes.subarray(at, at + 3)));
    expect(yielded).toEqual(messages);
    const together = new MessageReader();
    expect(together.push(bytes)).toEqual(messages);
  });

  it("when a message claims a length shorter than a header then the reader refuses it", () => {
    const bad = Buffer.alloc(8);
    bad.writeInt32LE(0, 0);
    expect(() => new MessageReader().push(bad)).toThrow("invalid message length 0");
  });

  it("when OP_MSG has a document sequence then it is folded into the body", () => {
    const request = parseMessage(
      opMsg(MORE_TO_COME, { insert: "c", $db: "d" }, { name: "documents", docs: [{ a: 1 }, { a: 2 }] }),
    );
    expect(request.moreToCome).toBe(true);
    expect((request.body.documents as unknown[]).length).toBe(2);
    expect(request.requestId).toBe(7);
  });
});
