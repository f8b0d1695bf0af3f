import { Long, MongoServerError } from "mongodb";
import { describe, expect, it } from "vitest";
import { rejection, useBackend } from "../testing.js";

const backend = useBackend("conformance_wire");

describe("wire protocol and server commands", () => {
  it("when the driver connects then hello reports a writable primary without topologyVersion or compression", async () => {
    const hello = await backend.db.admin().command({ hello: 1 });
    expect(hello.isWritablePrimary).toBe(true);
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(17);
    if (backend.isDouble) {
      expect(hello.topologyVersion).toBeUndefined();
      expect(hello.compression).toBeUndefined();
    }
  });

  it("when ping, buildInfo and getParameter are sent then they succeed as on mongod", async () => {
    expect((await backend.db.admin().ping()).ok).toBe(1);
    const info = await backend.db.admin().command({ buildInfo: 1 });
    expect(typeof info.version).toBe("string");
    const fcv = await backend.db.admin().command({ getParameter: 1, featureCompatibilityVersion: 1 });
    expect(fcv.featureCompatibilityVersion.version).toMatch(/^\d+\.\d+$/);
  });

  it("when results exceed the batch size then cursor ids are Longs and getMore returns the rest", async () => {
    const items = backend.db.collection("cursor_batches");
    await items.insertMany(Array.from({ length: 7 }, (_, i) => ({ i })));
    const reply = await backend.db.command(
      { find: "cursor_batches", batchSize: 3, sort: { i: 1 } },
      { promoteLongs: false },
    );
    expect(reply.cursor.id).toBeInstanceOf(Long);
    expect(reply.cursor.firstBatch).toHaveLength(3);
    const all = await items.find({}, { batchSize: 3, sort: { i: 1 } }).toArray();
    expect(all.map((doc) => doc.i)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const single = await backend.db.command({ find: "cursor_batches", limit: 2 }, { promoteLongs: false });
    expect(single.cursor.id).toBeInstanceOf(Long);
    expect(single.cursor.id.isZero()).toBe(true);
  });

  it("when a cursor is killed then getMore on it fails with CursorNotFound (43)", async () => {
    const reply = await backend.db.command({ find: "cursor_batches", batchSize: 1 }, { promoteLongs: false });
    await backend.db.command({ killCursors: "cursor_batches", cursors: [reply.cursor.id] });
    const error = await rejection(backend.db.command({ getMore: reply.cursor.id, collection: "cursor_batches" }));
    expect(error.code).toBe(43);
  });

  it("when a write is unacknowledged (moreToCome) then no reply is awaited and the write still happens", async () => {
    const items = backend.db.collection("unacknowledged");
    await items.insertOne({ fireAndForget: true }, { writeConcern: { w: 0 } });
    await expect.poll(() => items.countDocuments({ fireAndForget: true }), { timeout: 2_000 }).toBe(1);
  });

  it("when an unknown command is sent then it fails with CommandNotFound (59)", async () => {
    const error = await rejection(backend.db.command({ frobnicate: 1 }));
    expect(error).toBeInstanceOf(MongoServerError);
    expect(error.code).toBe(59);
    expect(error.message).toBe("no such command: 'frobnicate'");
  });

  it("when a transaction is started on a standalone then it fails with IllegalOperation (20)", async () => {
    const session = backend.client.startSession();
    try {
      session.startTransaction();
      const error = await rejection(backend.db.collection("tx").insertOne({ a: 1 }, { session }));
      // The driver wraps mongod's refusal in its retryable-writes hint; the server's error is the cause.
      const cause = (error.originalError ?? error) as { code?: number };
      expect(cause.code).toBe(20);
    } finally {
      await session.endSession();
    }
  });

  it("when lsid, readConcern and writeConcern accompany a command then it executes normally", async () => {
    const session = backend.client.startSession();
    try {
      const items = backend.db.collection("sessions");
      await items.insertOne({ a: 1 }, { session, writeConcern: { w: 1 } });
      expect(await items.countDocuments({}, { session, readConcern: { level: "local" } })).toBe(1);
    } finally {
      await session.endSession();
    }
  });
});
