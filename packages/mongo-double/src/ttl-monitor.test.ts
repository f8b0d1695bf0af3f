import { describe, expect, it, vi } from "vitest";
import { Collection } from "./collection.js";
import { normalizeIndexSpec } from "./index-spec.js";
import { removeExpired } from "./ttl-monitor.js";

const NOW = Date.UTC(2026, 0, 1);
const ago = (seconds: number): Date => new Date(NOW - seconds * 1000);

function collectionWith(index: Record<string, unknown>): Collection {
  const collection = new Collection("db", "expiring");
  collection.createIndex(normalizeIndexSpec({ name: "at_ttl", expireAfterSeconds: 60, ...index }));
  return collection;
}

const ids = (collection: Collection): unknown[] =>
  collection
    .all()
    .map((record) => record.doc._id)
    .sort();

describe("the TTL monitor", () => {
  it("when a pass runs over many live documents then it reads the index up to the limit and never the whole collection", () => {
    const collection = collectionWith({ key: { at: 1 } });
    for (let i = 0; i < 5_000; i++) collection.insert({ _id: `live${i}`, at: ago(i % 59) });
    collection.insert({ _id: "expired", at: ago(61) });
    collection.insert({ _id: "limit", at: ago(60) });
    const all = vi.spyOn(collection, "all");

    expect(removeExpired([collection], NOW)).toBe(2);

    expect(all).not.toHaveBeenCalled();
    all.mockRestore();
    expect(collection.size).toBe(5_000);
    expect(ids(collection)).not.toContain("expired");
  });

  it("when a document's field holds dates, other types or an array then it expires by its earliest date, and never without one", () => {
    const collection = collectionWith({ key: { at: -1 } });
    collection.insert({ _id: "array", at: [ago(0), ago(3_600)] });
    collection.insert({ _id: "recent-array", at: [ago(0), ago(10)] });
    collection.insert({ _id: "text", at: ago(3_600).toISOString() });
    collection.insert({ _id: "number", at: NOW - 3_600_000 });
    collection.insert({ _id: "missing" });
    collection.insert({ _id: "old", at: ago(120) });

    expect(removeExpired([collection], NOW)).toBe(2);

    expect(ids(collection)).toEqual(["missing", "number", "recent-array", "text"]);
  });

  it("when a TTL index is partial then a document its filter leaves out never expires", () => {
    const collection = collectionWith({ key: { at: 1 }, partialFilterExpression: { kind: "session" } });
    collection.insert({ _id: "session", kind: "session", at: ago(3_600) });
    collection.insert({ _id: "record", kind: "record", at: ago(3_600) });

    expect(removeExpired([collection], NOW)).toBe(1);

    expect(ids(collection)).toEqual(["record"]);
  });

  it("when two TTL indexes of a collection both find a document expired then it is removed once", () => {
    const collection = collectionWith({ key: { at: 1 } });
    collection.createIndex(normalizeIndexSpec({ name: "until_ttl", key: { until: 1 }, expireAfterSeconds: 0 }));
    collection.insert({ _id: "both", at: ago(3_600), until: ago(1) });
    collection.insert({ _id: "neither", at: ago(1), until: ago(-60) });

    expect(removeExpired([collection], NOW)).toBe(1);

    expect(ids(collection)).toEqual(["neither"]);
  });
});
