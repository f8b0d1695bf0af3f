import { describe, expect, it } from "vitest";
import { rejection, useBackend } from "../testing.js";

const backend = useBackend("conformance_index_management");

describe("index and collection management", () => {
  it("when the same index is created twice then the second call is a no-op", async () => {
    const items = backend.collection("idempotent");
    await items.createIndex({ email: 1 }, { unique: true, name: "email_unique" });
    await items.createIndex({ email: 1 }, { unique: true, name: "email_unique" });
    const indexes = await items.listIndexes().toArray();
    expect(indexes.map((index) => index.name)).toEqual(["_id_", "email_unique"]);
    expect(indexes[1]).toMatchObject({ key: { email: 1 }, unique: true });
  });

  it("when an index of the same key exists under another name then creation fails with IndexOptionsConflict (85)", async () => {
    const items = backend.collection("options_conflict");
    await items.createIndex({ a: 1 }, { name: "first" });
    expect((await rejection(items.createIndex({ a: 1 }, { name: "second" }))).code).toBe(85);
  });

  it("when an index name is reused for another key then creation fails with IndexKeySpecsConflict (86)", async () => {
    const items = backend.collection("key_conflict");
    await items.createIndex({ a: 1 }, { name: "idx" });
    expect((await rejection(items.createIndex({ b: 1 }, { name: "idx" }))).code).toBe(86);
  });

  it("when listIndexes shows options then partial, sparse, TTL and collation are reported", async () => {
    const items = backend.collection("options");
    await items.createIndexes([
      { key: { p: 1 }, name: "p", unique: true, partialFilterExpression: { p: { $exists: true } } },
      { key: { s: 1 }, name: "s", sparse: true },
      { key: { at: 1 }, name: "at", expireAfterSeconds: 3600 },
      { key: { c: 1 }, name: "c", collation: { locale: "en", strength: 2 } },
    ]);
    const byName = Object.fromEntries((await items.listIndexes().toArray()).map((index) => [index.name, index]));
    expect(byName.p).toMatchObject({ unique: true, partialFilterExpression: { p: { $exists: true } } });
    expect(byName.s).toMatchObject({ sparse: true });
    expect(byName.at).toMatchObject({ expireAfterSeconds: 3600 });
    expect(byName.c?.collation).toMatchObject({ locale: "en", strength: 2 });
    await items.dropIndex("s");
    expect((await items.listIndexes().toArray()).map((index) => index.name)).not.toContain("s");
  });

  it("when listIndexes targets a missing collection then it fails with NamespaceNotFound (26)", async () => {
    const error = await rejection(backend.collection("never_created").listIndexes().toArray());
    expect(error.code).toBe(26);
  });

  it("when a collection is created twice then it fails with NamespaceExists (48)", async () => {
    await backend.db.createCollection("explicit");
    expect((await rejection(backend.db.createCollection("explicit"))).code).toBe(48);
  });

  it("when collections are listed and dropped then listCollections reflects it", async () => {
    await backend.collection("to_drop").insertOne({ a: 1 });
    const names = (await backend.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).toContain("to_drop");
    expect(await backend.collection("to_drop").drop()).toBe(true);
    const after = (await backend.db.listCollections({ name: "to_drop" }).toArray()).map((c) => c.name);
    expect(after).toEqual([]);
  });

  it("when a database is dropped then listDatabases no longer shows it", async () => {
    const other = backend.client.db("conformance_index_management_other");
    await other.collection("x").insertOne({ a: 1 });
    const before = await backend.client.db("admin").admin().listDatabases({ nameOnly: true });
    expect(before.databases.map((d) => d.name)).toContain("conformance_index_management_other");
    await other.dropDatabase();
    const after = await backend.client.db("admin").admin().listDatabases({ nameOnly: true });
    expect(after.databases.map((d) => d.name)).not.toContain("conformance_index_management_other");
  });

  it("when collMod sets an index option the double lacks (hidden, unique, prepareUnique) then it is refused with 115 naming the option and the index is unchanged", async () => {
    const items = backend.collection("collmod_options");
    await items.createIndex({ a: 1 }, { name: "a_1" });
    for (const option of ["hidden", "unique", "prepareUnique"]) {
      const error = await rejection(
        backend.db.command({ collMod: "collmod_options", index: { name: "a_1", [option]: true } }),
      );
      expect(error.code).toBe(115);
      expect(error.message).toBe(`collMod index option '${option}' is not supported by the MongoDB double`);
    }
    expect((await items.listIndexes().toArray()).find((index) => index.name === "a_1")).toEqual({
      v: 2,
      key: { a: 1 },
      name: "a_1",
    });
  });
});
