import { Binary, BSONRegExp, Decimal128, deserialize, Double, Int32, Long, ObjectId, serialize, Timestamp } from "bson";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromWire, type Doc } from "./bson-values.js";
import { encodeStored, serializeReply } from "./encoded-docs.js";
import { plainProjection } from "./plain-projection.js";
import { startMongoDouble, type MongoDouble } from "./server.js";
import { storeDoc } from "./stored-doc.js";

/** A document as the double stores it: decoded from the wire as a command would be. */
const stored = (doc: Doc): Doc =>
  fromWire(deserialize(serialize(doc), { promoteValues: false, promoteBuffers: false, bsonRegExp: false })) as Doc;

const documents: Doc[] = [
  {
    _id: new ObjectId("65a1b2c3d4e5f60718293a4b"),
    when: new Date(1_700_000_000_123),
    count: new Long(9_007_199_254_740_993n),
    small: 7,
    int32: new Int32(-3),
    whole: new Double(2),
    fraction: 0.25,
    price: Decimal128.fromString("12.3400"),
    blob: new Binary(Buffer.from([0, 1, 2, 255]), 4),
    stamp: new Timestamp({ t: 5, i: 6 }),
    pattern: new BSONRegExp("^a.c$", "i"),
    nothing: null,
    yes: true,
    text: "héllo 𝄞",
    nested: { a: [1, { b: new Date(0) }, ["x", new Long(2)]], c: {} },
    empty: [],
  },
  { _id: "second", grams: ["abc", "bcd"], name: "Ann" },
];

const cursorReply = (batch: unknown[], batchName = "firstBatch"): Doc => ({
  cursor: { [batchName]: batch, id: new Long(42), ns: "db.users" },
  ok: 1,
});

describe("encoded replies", () => {
  it.each([
    ["whole documents", undefined, "firstBatch"],
    ["an exclusion", { grams: 0, nested: 0 }, "firstBatch"],
    ["an inclusion without _id", { _id: 0, when: 1, name: 1, price: 1 }, "nextBatch"],
  ])("when a cursor reply carries %s encoded then its bytes are the serializer's", (_, projection, batchName) => {
    const docs = documents.map(stored);
    const plain = projection && plainProjection(projection);
    const expected = serialize(
      cursorReply(
        docs.map((doc) => (plain ? plain.apply(doc) : doc)),
        batchName,
      ),
    );
    const encoded = docs.map((doc) => encodeStored(storeDoc(doc), plain));
    expect(Buffer.from(serializeReply(cursorReply(encoded, batchName)))).toEqual(Buffer.from(expected));
  });

  it("when a reply carries no encoded document then it is serialized as it is", () => {
    const reply = { ...cursorReply([{ a: 1 }]), note: "x" };
    expect(serializeReply(reply)).toEqual(serialize(reply));
  });

  it("when a document is read through two projections then each keeps its own encoding", () => {
    const record = storeDoc(stored(documents[1]!));
    const names = plainProjection({ name: 1 });
    expect(deserialize(encodeStored(record, names).bytes)).toEqual({ _id: "second", name: "Ann" });
    expect(deserialize(encodeStored(record, undefined).bytes)).toEqual({
      _id: "second",
      grams: ["abc", "bcd"],
      name: "Ann",
    });
    expect(deserialize(encodeStored(record, plainProjection({ grams: 0 })).bytes)).toEqual({
      _id: "second",
      name: "Ann",
    });
  });
});

describe("encoded documents through the driver", () => {
  let double: MongoDouble;
  let client: MongoClient;
  beforeAll(async () => {
    double = await startMongoDouble();
    client = new MongoClient(double.uri);
    await client.connect();
  });
  afterAll(async () => {
    await client.close();
    await double.close();
  });
  const users = () => client.db("encoded").collection<{ _id: number; name: string; tags?: string[] }>("users");

  it("when a document is written after a read then the very next read returns the write", async () => {
    await users().insertMany([
      { _id: 1, name: "Ann", tags: ["a"] },
      { _id: 2, name: "Bob" },
    ]);
    const projection = { tags: 0 };
    expect(await users().findOne({ _id: 1 }, { projection })).toEqual({ _id: 1, name: "Ann" });
    expect(await users().find({}).toArray()).toEqual([
      { _id: 1, name: "Ann", tags: ["a"] },
      { _id: 2, name: "Bob" },
    ]);

    await users().updateOne({ _id: 1 }, { $set: { name: "Anne" } });
    expect(await users().findOne({ _id: 1 }, { projection })).toEqual({ _id: 1, name: "Anne" });
    expect(await users().findOne({ _id: 1 })).toEqual({ _id: 1, name: "Anne", tags: ["a"] });

    await users().replaceOne({ _id: 1 }, { name: "Anna" });
    expect(await users().find({}, { projection }).toArray()).toEqual([
      { _id: 1, name: "Anna" },
      { _id: 2, name: "Bob" },
    ]);

    await users().findOneAndUpdate({ _id: 2 }, { $push: { tags: "b" } });
    expect(await users().findOne({ _id: 2 })).toEqual({ _id: 2, name: "Bob", tags: ["b"] });

    await users().updateMany({}, { $addToSet: { tags: "c" } });
    expect(
      await users()
        .find({}, { projection: { name: 0 } })
        .toArray(),
    ).toEqual([
      { _id: 1, tags: ["c"] },
      { _id: 2, tags: ["b", "c"] },
    ]);

    await users().deleteOne({ _id: 1 });
    await users().insertOne({ _id: 1, name: "Ann" });
    expect(await users().find({}).sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, name: "Ann" },
      { _id: 2, name: "Bob", tags: ["b", "c"] },
    ]);
  });

  it("when a cursor is read in batches then every batch carries the documents whole", async () => {
    const many = Array.from({ length: 25 }, (_, i) => ({ _id: 100 + i, name: `u${i}`, tags: [String(i)] }));
    await users().insertMany(many);
    const read = await users()
      .find({ _id: { $gte: 100 } }, { batchSize: 10, projection: { name: 1 } })
      .toArray();
    expect(read).toEqual(many.map(({ _id, name }) => ({ _id, name })));
  });
});
