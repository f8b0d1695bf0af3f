import { describe, expect, it, vi } from "vitest";
import type { Doc } from "./bson-values.js";
import { Collection } from "./collection.js";
import { canonicalKey, indexEntries } from "./index-key.js";
import { fieldsIndexed, normalizeIndexSpec } from "./index-spec.js";
import { setPlainFields } from "./set-fields.js";

function tokens(): Collection {
  const collection = new Collection("db", "tokens");
  collection.createIndex(normalizeIndexSpec({ key: { userId: 1, name: 1 }, name: "userId_name", unique: true }));
  collection.createIndex(normalizeIndexSpec({ key: { secret: 1 }, name: "secret", unique: true }));
  collection.createIndex(normalizeIndexSpec({ key: { userId: 1, at: -1 }, name: "userId_at" }));
  collection.createIndex(
    normalizeIndexSpec({ key: { userId: 1 }, name: "unsent", partialFilterExpression: { unsent: { $exists: true } } }),
  );
  for (let i = 0; i < 50; i++) {
    collection.insert({
      _id: `t${i}`,
      userId: `u${i % 5}`,
      name: `n${i}`,
      secret: `s${i}`,
      at: new Date(i),
      unsent: 1,
    });
  }
  return collection;
}

/** Applies an update as the write commands do, through the plain-field shortcut. */
function update(collection: Collection, id: string, modifier: Doc): void {
  const old = collection.byId(canonicalKey(id))!;
  collection.replace(old, setPlainFields(old.doc, modifier)!);
}

const reads = (collection: Collection, name: string) =>
  collection
    .orderedIndexes()
    .find((index) => index.spec.name === name)!
    .snapshot()
    .valuesArray()
    .map((record) => record.doc);

describe("replacing a document with its updated version", () => {
  it("when an index names fields at any depth or in its partial filter then those are the fields it reads", () => {
    expect(
      fieldsIndexed(
        normalizeIndexSpec({
          key: { "a.b": 1, c: -1 },
          name: "x",
          partialFilterExpression: { $and: [{ "d.e": { $exists: true } }, { f: { $gt: 1 } }] },
        }),
      ).sort(),
    ).toEqual(["a", "c", "d", "f"]);
  });

  it("when an update leaves a unique index's fields alone then its map is neither deleted from nor written", () => {
    const collection = tokens();
    const deletes = vi.spyOn(Map.prototype, "delete");
    const sets = vi.spyOn(Map.prototype, "set");
    try {
      for (let n = 0; n < 1_000; n++) update(collection, "t7", { $set: { lastUse: new Date(n) } });
      // The documents map is written once per update; the unique indexes' maps not at all.
      const written = sets.mock.calls.map(([key]) => key);
      expect(deletes).not.toHaveBeenCalled();
      expect(written.filter((key) => key === canonicalKey("t7"))).toHaveLength(1_000);
      expect(written).not.toContain(canonicalKey("s7"));
      expect(written).not.toContain(indexEntries({ userId: "u2", name: "n7" }, ["userId", "name"])[0]!.key);
    } finally {
      deletes.mockRestore();
      sets.mockRestore();
    }
  });

  it("when an update leaves an ordered index's fields alone then its entries lead to the new version", () => {
    const collection = tokens();
    update(collection, "t7", { $set: { lastUse: new Date(5) } });
    const found = reads(collection, "userId_at").filter((doc) => doc._id === "t7");
    expect(found).toEqual([expect.objectContaining({ _id: "t7", lastUse: new Date(5) })]);
  });

  it("when an update removes a field a partial filter names then the document leaves that index only", () => {
    const collection = tokens();
    update(collection, "t7", { $unset: { unsent: "" } });
    expect(reads(collection, "unsent").map((doc) => doc._id)).not.toContain("t7");
    expect(reads(collection, "unsent")).toHaveLength(49);
    expect(reads(collection, "userId_at").find((doc) => doc._id === "t7")).not.toHaveProperty("unsent");
  });

  it("when a unique field is changed back and forth then no key is deleted from its map", () => {
    const collection = tokens();
    const deletes = vi.spyOn(Map.prototype, "delete");
    try {
      for (let n = 0; n < 1_000; n++) update(collection, "t7", { $set: { secret: n % 2 === 0 ? "a" : "b" } });
      expect(deletes).not.toHaveBeenCalled();
    } finally {
      deletes.mockRestore();
    }
    expect(() => collection.insert({ _id: "x", userId: "u9", name: "x", secret: "b" })).toThrow(/E11000/);
    expect(() => collection.insert({ _id: "y", userId: "u9", name: "y", secret: "a" })).not.toThrow();
  });

  it("when many unique keys are freed then each can be taken again, and the keys still held are still refused", () => {
    const collection = new Collection("db", "many");
    collection.createIndex(normalizeIndexSpec({ key: { secret: 1 }, name: "secret", unique: true }));
    for (let i = 0; i < 5_000; i++) collection.insert({ _id: `d${i}`, secret: `s${i}` });
    // Frees 4,000 keys, more than enough for the vacant ones to be swept.
    for (let i = 0; i < 4_000; i++) collection.remove(collection.byId(canonicalKey(`d${i}`))!);
    for (let i = 0; i < 4_000; i += 97)
      expect(() => collection.insert({ _id: `e${i}`, secret: `s${i}` })).not.toThrow();
    for (let i = 4_000; i < 5_000; i += 97)
      expect(() => collection.insert({ _id: `f${i}`, secret: `s${i}` })).toThrow(/E11000/);
  });

  it("when an update changes a unique field then the old value is free and the new one taken", () => {
    const collection = tokens();
    update(collection, "t7", { $set: { secret: "fresh" } });
    expect(() => collection.insert({ _id: "x", userId: "u9", name: "x", secret: "fresh" })).toThrow(/E11000/);
    expect(() => collection.insert({ _id: "y", userId: "u9", name: "y", secret: "s7" })).not.toThrow();
  });
});
