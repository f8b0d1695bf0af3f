// Runs alone (its own vitest run, see package.json): it measures latency, which other files running at the same time would disturb.
import type { ServiceProcess } from "@roster/dev-stack";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, grpc, plainClient, unary, type PlainClient } from "./helpers/plain-grpc.js";
import { stackInfo } from "./helpers/stack-info.js";
import { failureOf, unique } from "./helpers/users.js";
import { startExtraUserService } from "./helpers/extra-services.js";

const stack = stackInfo();
// Small, so a scan over it is quick to reach; the users below take several times as long to scan.
const timeLimitMs = 300;
const seeded = 20_000;
const longRun = "a".repeat(256);

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const p99 = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)] as number;

// Worst cases the planner admits, against names that are one long run of one letter: a quadratic
// regex (the most allowed on a user field) scans for longer than the limit; a glob with every '*'
// allowed is linear, and takes about as long as the limit over this many users.
const quadratic = { field: "TEXT_FIELD_NAME", mode: "TEXT_MATCH_MODE_REGEX", value: "a.*b" };
const starFlood = { field: "TEXT_FIELD_NAME", mode: "TEXT_MATCH_MODE_LIKE", value: `${"*a".repeat(15)}*b` };

// A user-service of its own, with a small SEARCH_TIME_LIMIT_MS, on a database of its own filled
// with users whose names defeat every index; the stack's database and token-service are shared.
describe("search cost under a flood", () => {
  const database = `roster_users_cost_${unique("").toLowerCase()}`;
  let service: ServiceProcess;
  let mongo: MongoClient;
  const clients: PlainClient[] = [];
  const client = (port: number, name: string, service: string) => {
    const made = plainClient(name, service, port);
    clients.push(made);
    return made;
  };

  beforeAll(async () => {
    service = await startExtraUserService(stack, {
      USER_SERVICE_DATABASE: database,
      SEARCH_TIME_LIMIT_MS: String(timeLimitMs),
      ROSTER_READINESS_INTERVAL_MS: "200",
    });
    const users = client(service.grpcPort, "roster/user/v1/user_service.proto", "roster.user.v1.UserService");
    await unary(users, "createUser", { username: "cost0", name: longRun }, bearer(stack.apiKey));
    // The rest are copies of the one the service stored, written straight to its database: quicker by far.
    mongo = await MongoClient.connect(stack.mongodbUri);
    const collection = mongo.db(database).collection<{ _id: string }>("users");
    const { _id, ...template } = (await collection.findOne({ usernameKey: "cost0" }))!;
    for (let start = 1; start < seeded; start += 5_000) {
      const batch = Array.from({ length: Math.min(5_000, seeded - start) }, (_, i) => ({
        ...template,
        _id: `cost-${start + i}`,
        username: `cost${start + i}`,
        usernameKey: `cost${start + i}`,
      }));
      await collection.insertMany(batch);
    }
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await service?.stop();
    await mongo?.db(database).dropDatabase();
    await mongo?.close();
  });

  const search = (through: PlainClient, text: object) =>
    unary(through, "searchUsers", { filter: { text } }, bearer(stack.apiKey), 30_000);

  it("when a search runs over SEARCH_TIME_LIMIT_MS then RESOURCE_EXHAUSTED SEARCH_TIME_LIMIT_EXCEEDED within twice the limit", async () => {
    const users = client(service.grpcPort, "roster/user/v1/user_service.proto", "roster.user.v1.UserService");
    const elapsed: number[] = [];
    for (let round = 0; round < 5; round++) {
      const started = performance.now();
      expect(await failureOf(() => search(users, quadratic))).toEqual({
        code: grpc.status.RESOURCE_EXHAUSTED,
        reason: "SEARCH_TIME_LIMIT_EXCEEDED",
        fields: [],
      });
      elapsed.push(performance.now() - started);
    }
    expect(median(elapsed)).toBeLessThan(2 * timeLimitMs);
  });

  it("when several clients flood worst-case searches then GetUser's p99 grows by less than 100 ms and every service stays SERVING", async () => {
    const proto = ["roster/user/v1/user_service.proto", "roster.user.v1.UserService"] as const;
    const getter = client(service.grpcPort, ...proto);
    const flooders = Array.from({ length: 3 }, () => client(service.grpcPort, ...proto));
    const healthOf = (port: number) => client(port, "grpc/health/v1/health.proto", "grpc.health.v1.Health");
    const health = [healthOf(service.grpcPort), healthOf(stack.user.grpc), healthOf(stack.token.grpc)];
    const getUser = () =>
      unary<{ user: { id: string } }>(getter, "getUser", { userId: "cost-1" }, bearer(stack.apiKey), 5_000);
    await getUser();

    const outcomes = new Set<string>();
    const searchMs: number[] = [];
    const statuses = new Set<string>();
    /** GetUser's p99 over `ms`, with health checked now and then. */
    const probe = async (ms: number): Promise<number> => {
      const ends = Date.now() + ms;
      const getUserMs: number[] = [];
      while (Date.now() < ends) {
        const started = performance.now();
        expect((await getUser()).user.id).toBe("cost-1");
        getUserMs.push(performance.now() - started);
        if (getUserMs.length % 10 === 0) {
          for (const h of health)
            statuses.add(
              (await unary<{ status: string }>(h, "check", { service: "" }, new grpc.Metadata(), 5_000)).status,
            );
        }
      }
      expect(getUserMs.length).toBeGreaterThan(10);
      return p99(getUserMs);
    };
    /** One flood, bounded in time and count, with GetUser probed all along; returns the GetUser p99. */
    const floodRound = async (floodMs: number): Promise<number> => {
      const ends = Date.now() + floodMs;
      const flooding = flooders.map(async (own, n) => {
        for (let i = 0; i < 10 && Date.now() < ends; i++) {
          const text = (n + i) % 2 === 0 ? quadratic : starFlood;
          const started = performance.now();
          const failure = await failureOf(() => search(own, text)).catch(() => ({ reason: "OK" }));
          searchMs.push(performance.now() - started);
          outcomes.add(`${text.mode}: ${failure.reason ?? "NONE"}`);
        }
      });
      const p99Ms = await probe(floodMs);
      await Promise.all(flooding);
      return p99Ms;
    };
    // Quiet and flooded rounds interleaved, judged by their medians: the flood may add less than
    // 100 ms to GetUser's p99. On an idle machine the quiet p99 is a few milliseconds, so this is
    // "under 100 ms"; on a shared, loaded one, the scheduling noise both rounds suffer cancels out.
    const quiet: number[] = [];
    const flooded: number[] = [];
    for (let round = 0; round < 3; round++) {
      quiet.push(await probe(1_000));
      flooded.push(await floodRound(2_000));
    }
    expect(outcomes).toContain("TEXT_MATCH_MODE_REGEX: SEARCH_TIME_LIMIT_EXCEEDED");
    const allowed = [
      "TEXT_MATCH_MODE_REGEX: SEARCH_TIME_LIMIT_EXCEEDED",
      "TEXT_MATCH_MODE_LIKE: SEARCH_TIME_LIMIT_EXCEEDED",
      "TEXT_MATCH_MODE_LIKE: OK",
    ];
    expect([...outcomes].filter((o) => !allowed.includes(o))).toEqual([]);
    expect(searchMs.length).toBeGreaterThan(12);
    expect(median(searchMs)).toBeLessThan(2 * timeLimitMs);
    expect(statuses).toEqual(new Set(["SERVING"]));
    expect(median(flooded) - median(quiet)).toBeLessThan(100);
  }, 60_000);
});
