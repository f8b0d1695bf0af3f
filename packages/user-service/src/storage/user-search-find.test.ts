import { MongoClient, MongoNetworkError, MongoServerError, type CommandStartedEvent, type Db } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "@roster/mongo-double/testing";
import { findAll } from "./user-search-find.js";

const testDb = useBackend("user_search_find");
const collection = "people";
const people = Array.from({ length: 7 }, (_, i) => ({ _id: `p${i}`, rank: 7 - i, name: `person ${i}` }));

let monitored: MongoClient;
const commands: CommandStartedEvent[] = [];
const sent = () => commands.filter((c) => c.commandName !== "hello" && c.commandName !== "ping");

beforeAll(async () => {
  await testDb.collection(collection).insertMany(people);
  monitored = new MongoClient(`mongodb://${testDb.client.options.hosts.join(",")}`, { monitorCommands: true });
  monitored.on("commandStarted", (event) => commands.push(event));
});
afterAll(() => monitored.close());

describe("findAll", () => {
  it("when the matches take several batches then getMores in the find's session read them all, in order", async () => {
    commands.length = 0;
    const docs = await findAll<{ _id: string; name: string }>(
      monitored.db(testDb.db.databaseName),
      collection,
      { filter: { rank: { $gt: 1 } }, sort: { rank: 1 }, projection: { name: 1 }, batchSize: 2 },
      () => 1_000,
    );
    expect(docs).toEqual(
      people
        .filter((p) => p.rank > 1)
        .reverse()
        .map(({ _id, name }) => ({ _id, name })),
    );
    expect(sent().map((c) => c.commandName)).toEqual(["find", "getMore", "getMore"]);
    const sessions = new Set(sent().map((c) => JSON.stringify(c.command.lsid)));
    expect(sessions.size).toBe(1);
    expect(sent()[0]!.command.maxTimeMS).toBe(1_000);
    expect(sent()[1]!.command.maxTimeMS).toBeUndefined();
  });

  it("when a limit is set then it holds across batches", async () => {
    const docs = await findAll<{ _id: string }>(
      monitored.db(testDb.db.databaseName),
      collection,
      { filter: {}, sort: { _id: 1 }, limit: 3, batchSize: 2 },
      () => 1_000,
    );
    expect(docs.map((d) => d._id)).toEqual(["p0", "p1", "p2"]);
  });

  it("when the time runs out between batches then the error is thrown and the open cursor killed", async () => {
    commands.length = 0;
    let asked = 0;
    const outOfTime = new Error("no time left");
    const read = findAll(monitored.db(testDb.db.databaseName), collection, { filter: {}, batchSize: 2 }, () => {
      if (++asked > 1) throw outOfTime;
      return 1_000;
    });
    await expect(read).rejects.toBe(outOfTime);
    expect(sent().map((c) => c.commandName)).toEqual(["find", "killCursors"]);
  });
});

describe("findAll retries", () => {
  const stub = (failures: unknown[], retryReads = true) => {
    const sentCommands: string[] = [];
    const db = {
      client: { options: { retryReads }, startSession: () => ({ endSession: async () => undefined }) },
      command: async (command: Record<string, unknown>) => {
        sentCommands.push(Object.keys(command)[0]!);
        const failure = failures.shift();
        if (failure !== undefined) throw failure;
        return { cursor: { id: 0, firstBatch: [{ _id: "p0" }] } };
      },
    } as unknown as Db;
    return { db, sentCommands };
  };
  const read = (db: Db) => findAll(db, collection, { filter: {}, batchSize: 2 }, () => 1_000);

  it("when the find fails on the network once then it is sent again and its reply returned", async () => {
    const { db, sentCommands } = stub([new MongoNetworkError("connection reset")]);
    await expect(read(db)).resolves.toEqual([{ _id: "p0" }]);
    expect(sentCommands).toEqual(["find", "find"]);
  });

  it("when the primary steps down twice then the second error is thrown", async () => {
    const steppedDown = () => new MongoServerError({ message: "stepped down", code: 189 });
    const { db, sentCommands } = stub([steppedDown(), steppedDown()]);
    await expect(read(db)).rejects.toMatchObject({ code: 189 });
    expect(sentCommands).toEqual(["find", "find"]);
  });

  it("when the find runs out of time or retryReads is off then it is not sent again", async () => {
    const timedOut = stub([new MongoServerError({ message: "operation exceeded time limit", code: 50 })]);
    await expect(read(timedOut.db)).rejects.toMatchObject({ code: 50 });
    expect(timedOut.sentCommands).toEqual(["find"]);
    const off = stub([new MongoNetworkError("connection reset")], false);
    await expect(read(off.db)).rejects.toBeInstanceOf(MongoNetworkError);
    expect(off.sentCommands).toEqual(["find"]);
  });
});
