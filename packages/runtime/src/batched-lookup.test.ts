import { startMongoDouble } from "@roster/mongo-double";
import { startTestBackend } from "@roster/mongo-double/testing";
import { MongoClient, type CommandStartedEvent } from "mongodb";
import { connect, createServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBatchedLookup, maxIdsPerLookup } from "./batched-lookup.js";
import { connectMongo } from "./mongo.js";
import { isStorageUnavailable } from "./storage-unavailable.js";

interface Person {
  _id: string;
  name: string;
  secret?: string;
}

let client: MongoClient;
let close: (() => Promise<void>) | undefined;
const finds: CommandStartedEvent[] = [];

beforeAll(async () => {
  const backend = await startTestBackend();
  close = () => backend.double?.close() ?? Promise.resolve();
  client = new MongoClient(backend.uri, { monitorCommands: true, serverSelectionTimeoutMS: 5_000 });
  client.on("commandStarted", (event) => {
    if (event.commandName === "find") finds.push(event);
  });
  await client.connect();
  await people().deleteMany({});
  await people().insertMany(
    Array.from({ length: 250 }, (_, i) => ({ _id: `p${i}`, name: `person ${i}`, secret: "s" })),
  );
});

afterAll(async () => {
  await client?.db("runtime_batched_lookup").dropDatabase();
  await client?.close();
  await close?.();
});

const people = () => client.db("runtime_batched_lookup").collection<Person>("people");

/** The find commands the lookups below send. */
async function findsDuring(work: () => Promise<unknown>): Promise<CommandStartedEvent[]> {
  const from = finds.length;
  await work();
  return finds.slice(from);
}

const idsOf = (event: CommandStartedEvent) => (event.command.filter as { _id: { $in: string[] } })._id.$in;

describe("batched lookups by _id", () => {
  it("when lookups are asked for together then they share one find on _id, and each caller gets its own document or null", async () => {
    const lookup = createBatchedLookup(people(), { projection: { secret: 0 }, timeoutMs: 5_000 });
    let answers: (Person | null)[] = [];
    const sent = await findsDuring(async () => {
      answers = await Promise.all(["p1", "p7", "missing", "p42"].map(lookup));
    });
    expect(sent.map(idsOf)).toEqual([["p1", "p7", "missing", "p42"]]);
    expect(answers).toEqual([
      { _id: "p1", name: "person 1" },
      { _id: "p7", name: "person 7" },
      null,
      { _id: "p42", name: "person 42" },
    ]);
  });

  it("when more lookups than one find carries are asked for together then they leave in finds of at most the limit", async () => {
    const lookup = createBatchedLookup(people(), { timeoutMs: 5_000 });
    const ids = Array.from({ length: 250 }, (_, i) => `p${i}`);
    let answers: (Person | null)[] = [];
    const sent = await findsDuring(async () => {
      answers = await Promise.all(ids.map(lookup));
    });
    expect(sent.map((event) => idsOf(event).length)).toEqual([maxIdsPerLookup, maxIdsPerLookup, 50]);
    expect(answers.map((person) => person?._id)).toEqual(ids);
  });

  it("when one id is asked for twice in a batch then it is read once and each caller gets a document of its own", async () => {
    const lookup = createBatchedLookup(people(), { timeoutMs: 5_000 });
    let answers: (Person | null)[] = [];
    const sent = await findsDuring(async () => {
      answers = await Promise.all([lookup("p3"), lookup("p3"), lookup("p4")]);
    });
    expect(sent.map(idsOf)).toEqual([["p3", "p4"]]);
    const [first, second] = answers;
    expect(first).toEqual({ _id: "p3", name: "person 3", secret: "s" });
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
  });

  it("when a document changes between two lookups then the second sees the change (nothing is kept between batches)", async () => {
    const lookup = createBatchedLookup(people(), { timeoutMs: 5_000 });
    expect((await lookup("p5"))?.name).toBe("person 5");
    await people().updateOne({ _id: "p5" }, { $set: { name: "renamed" } });
    expect((await lookup("p5"))?.name).toBe("renamed");
    await people().deleteOne({ _id: "p5" });
    expect(await lookup("p5")).toBeNull();
  });

  it("when the batch's find fails then the error reaches every caller in the batch", async () => {
    // A projection mixing inclusion and exclusion: the server refuses the whole find.
    const lookup = createBatchedLookup(people(), { projection: { name: 1, secret: 0 }, timeoutMs: 5_000 });
    const outcomes = await Promise.allSettled(["p1", "p2", "p1", "missing"].map(lookup));
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected", "rejected", "rejected"]);
    const reasons = outcomes.map((o) => (o.status === "rejected" ? (o.reason as Error) : undefined));
    expect(reasons.map((r) => r?.name)).toEqual([
      "MongoServerError",
      "MongoServerError",
      "MongoServerError",
      "MongoServerError",
    ]);
    expect(new Set(reasons).size).toBe(1);
  });
});

describe("batched lookups by another unique field", () => {
  it("when lookups by a unique field are asked for together then they share one find on that field, stated as the condition says", async () => {
    await people().createIndex({ name: 1 }, { name: "name_unique", unique: true });
    const lookup = createBatchedLookup(people(), {
      field: "name",
      condition: (names) => ({ $in: names, $type: "string" }),
      projection: { secret: 0 },
      timeoutMs: 5_000,
    });
    let answers: (Person | null)[] = [];
    const sent = await findsDuring(async () => {
      answers = await Promise.all(["person 3", "nobody", "person 9", "person 3"].map(lookup));
    });
    expect(sent.map((event) => event.command.filter)).toEqual([
      { name: { $in: ["person 3", "nobody", "person 9"], $type: "string" } },
    ]);
    expect(answers).toEqual([
      { _id: "p3", name: "person 3" },
      null,
      { _id: "p9", name: "person 9" },
      { _id: "p3", name: "person 3" },
    ]);
    expect(answers[3]).not.toBe(answers[0]);
  });
});

describe("batched lookups in a database outage", () => {
  it("when lookups are asked for in a network read that ends a socket then their find is written after that socket's close", async () => {
    // A socket the database ended is destroyed in the poll phase of the event loop (here one is destroyed in a
    // read), and its close comes in the close phase after it. The driver writes a command to a socket destroyed so without an error and then waits for a
    // drain that never comes: for a find that is one call, for the server monitor's check, which a find's server
    // selection wakes when the server is unknown, the driver never sees the database again. So a batch's find
    // must not be written in that gap, in which setImmediate callbacks run.
    const lookup = createBatchedLookup(people(), { timeoutMs: 5_000 });
    await lookup("p1");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    type Ended = "no" | "destroyed" | "closed";
    let ended: Ended = "no";
    let endedWhenFound: Ended | undefined;
    const onFind = (event: CommandStartedEvent) => {
      if (event.commandName === "find" && ended !== "no") endedWhenFound ??= ended;
    };
    client.on("commandStarted", onFind);
    try {
      const answered = new Promise<(Person | null)[]>((resolve, reject) => {
        server.once("connection", (socket) =>
          socket.once("data", () => {
            socket.once("close", () => (ended = "closed"));
            socket.destroy();
            ended = "destroyed";
            Promise.all([lookup("p2"), lookup("p3")]).then(resolve, reject);
          }),
        );
      });
      const sender = connect(port, "127.0.0.1", () => sender.write("go"));
      sender.on("error", () => undefined);
      expect((await answered).map((person) => person?._id)).toEqual(["p2", "p3"]);
      expect(endedWhenFound).toBe("closed");
    } finally {
      client.off("commandStarted", onFind);
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("when the database goes away while lookups are being asked for then every waiter settles as storage unavailable, within the bound", async () => {
    const double = await startMongoDouble();
    const outage = await connectMongo(double.uri, "batched-lookup-outage", { timeoutMs: 500 });
    try {
      const collection = outage.db("outage").collection<Person>("people");
      await collection.insertOne({ _id: "a", name: "a" });
      const lookup = createBatchedLookup(collection, { timeoutMs: 500 });
      // Several open connections, so that some sit idle in the pool when the database goes away.
      await Promise.all(Array.from({ length: 20 }, () => collection.findOne({ _id: "a" })));
      // The database goes away with every connection idle (the driver hears an orderly end on each), and
      // a lookup leaves in every turn of the event loop from then on: some go out on a connection whose
      // socket has just ended but whose close the driver has not heard of yet.
      const waiters: Promise<string>[] = [];
      let asking = true;
      const ask = (): void => {
        if (!asking) return;
        waiters.push(
          lookup("a").then(
            (doc) => `found ${doc?._id}`,
            (err: unknown) => (isStorageUnavailable(err) ? "unavailable" : `other: ${String(err)}`),
          ),
        );
        setImmediate(ask);
      };
      const closed = double.close();
      ask();
      await closed;
      await new Promise((resolve) => setTimeout(resolve, 100));
      asking = false;
      const hung = Symbol("hung");
      // 500 ms per lookup; 10 s leaves room for a busy machine and cannot be mistaken for the bound holding.
      const settled = await Promise.race([
        Promise.all(waiters),
        new Promise<typeof hung>((resolve) => setTimeout(() => resolve(hung), 10_000).unref()),
      ]);
      expect(settled).not.toBe(hung);
      const outcomes = new Set(settled === hung ? [] : settled);
      expect([...outcomes].filter((o) => o !== "found a" && o !== "unavailable")).toEqual([]);
      expect(outcomes.has("unavailable")).toBe(true);
    } finally {
      await outage.close();
    }
  }, 30_000);
});
