import { describe, expect, it } from "vitest";
import { useBackend } from "../testing.js";

const backend = useBackend("conformance_field_names");

// JSON.parse keeps "__proto__" as a key; an object literal would set the prototype instead.
const parsed = (json: string) => JSON.parse(json) as { _id: number };
// JSON.stringify shows an own "__proto__" field as it shows any other.
const shown = (doc: unknown) => JSON.stringify(doc);

describe("a field named __proto__", () => {
  it("when a document holds one then it is stored, returned, projected and kept by updates as any other field", async () => {
    const docs = backend.collection("proto_fields");
    await docs.insertOne(parsed('{"_id": 1, "a": {"__proto__": {"x": 1}, "y": 2}, "s": "Ab"}'));
    expect(shown(await docs.findOne({ _id: 1 }))).toBe('{"_id":1,"a":{"__proto__":{"x":1},"y":2},"s":"Ab"}');
    expect(shown(await docs.findOne({ _id: 1 }, { projection: { a: 1 } }))).toBe(
      '{"_id":1,"a":{"__proto__":{"x":1},"y":2}}',
    );
    await docs.updateOne({ _id: 1 }, { $set: { "a.z": 3, b: 1 } });
    expect(shown(await docs.findOne({ _id: 1 }))).toBe(
      '{"_id":1,"a":{"__proto__":{"x":1},"y":2,"z":3},"s":"Ab","b":1}',
    );
    await docs.updateOne({ _id: 1 }, { $inc: { b: 1 } });
    expect(shown(await docs.findOne({ _id: 1 }, { projection: { _id: 0, a: 1, b: 1 } }))).toBe(
      '{"a":{"__proto__":{"x":1},"y":2,"z":3},"b":2}',
    );
    // (Not an array holding a document under it: the driver then reads that document as raw bytes.)
    await docs.replaceOne({ _id: 1 }, parsed('{"c": {"__proto__": {"__proto__": null}}, "d": [{"__proto__": 1}]}'));
    expect(shown(await docs.findOne({ _id: 1 }))).toBe(
      '{"_id":1,"c":{"__proto__":{"__proto__":null}},"d":[{"__proto__":1}]}',
    );
    const updated = await docs.findOneAndUpdate({ _id: 1 }, { $set: { e: 1 } }, { returnDocument: "after" });
    expect(shown(updated)).toBe('{"_id":1,"c":{"__proto__":{"__proto__":null}},"d":[{"__proto__":1}],"e":1}');
    expect(shown(await docs.aggregate([{ $match: { _id: 1 } }]).toArray())).toBe(
      '[{"_id":1,"c":{"__proto__":{"__proto__":null}},"d":[{"__proto__":1}],"e":1}]',
    );
    // Stored documents keep their plain prototype: nothing inherits what the field holds.
    const found = (await docs.findOne({ _id: 1 })) as { c: object } | null;
    expect(Object.getPrototypeOf(found?.c)).toBe(Object.prototype);
  });

  it("when a collection has a case-insensitive collation then a field named __proto__ still keeps its place", async () => {
    const name = "proto_fields_collated";
    await backend.db.createCollection(name, { collation: { locale: "en", strength: 2 } });
    const docs = backend.collection(name);
    await docs.insertOne(parsed('{"_id": 1, "a": {"__proto__": "X"}}'));
    expect(await docs.countDocuments({ "a.y": { $exists: false } })).toBe(1);
    expect(shown(await docs.findOne({ _id: 1 }))).toBe('{"_id":1,"a":{"__proto__":"X"}}');
  });
});
