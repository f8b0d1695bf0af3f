import { startMongoDouble, type MongoDouble } from "@roster/mongo-double";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, newPat, outcome, usePrivatePair, userWithPermissions } from "./helpers/tokens.js";

// A database of this file's own, so it can go away and come back empty while both services keep running.
let database: MongoDouble;
beforeAll(async () => {
  database = await startMongoDouble();
}, 60_000);
afterAll(() => database?.close(), 30_000);

const privatePair = usePrivatePair(() => ({
  MONGODB_URI: database.uri,
  ROSTER_MONGODB_TIMEOUT_MS: "1000",
  ROSTER_READINESS_INTERVAL_MS: "200",
}));

/** The `kid` in a JWT's header, as "kid:…". */
const kidOf = (jwt: string) =>
  `kid:${String((JSON.parse(Buffer.from(jwt.split(".")[0] ?? "", "base64url").toString()) as { kid?: unknown }).kid)}`;

describe("a database outage", () => {
  it("when the database is unreachable then both services answer UNAVAILABLE STORAGE_UNAVAILABLE promptly, and once it is back empty exchange works again with a new signing key", async () => {
    const { clients } = privatePair;
    const userId = await userWithPermissions(clients, ["orders:read"]);
    const pat = await newPat(clients, userId);
    const before = kidOf(
      (await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret })).accessToken,
    );

    await database.close();
    const started = Date.now();
    expect(await outcome(() => clients.users.getUser({ userId }))).toBe("14/STORAGE_UNAVAILABLE");
    expect(await outcome(() => clients.tokens.listPersonalAccessTokens({ userId }))).toBe("14/STORAGE_UNAVAILABLE");
    expect(await outcome(() => clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret }))).toBe(
      "14/STORAGE_UNAVAILABLE",
    );
    // Three calls, each bounded by ROSTER_MONGODB_TIMEOUT_MS (1 s) plus slack for a busy machine; the driver's default is 30 s each.
    expect(Date.now() - started).toBeLessThan(15_000);

    // The database comes back without its data: the signing keys are gone too.
    database = await startMongoDouble({ port: database.port });
    const created = await eventually(
      () => outcome(() => clients.users.createUser({ username: "after-outage" })),
      (result) => result === "OK",
      20_000,
    );
    expect(created).toBe("OK");
    const again = await userWithPermissions(clients, ["orders:read"]);
    const fresh = await newPat(clients, again);
    // Each instance trusts its view of the keys for 10 s; after that it finds none and must make one.
    const signedBy = () =>
      clients.tokens.exchangePersonalAccessToken({ personalAccessToken: fresh.secret }).then(
        (response) => kidOf(response.accessToken),
        (err: unknown) => String(err),
      );
    const kid = await eventually(signedBy, (value) => value.startsWith("kid:") && value !== before, 40_000);
    expect(kid).toMatch(/^kid:/);
    expect(kid).not.toBe(before);
    const exchanged = await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: fresh.secret });
    expect(exchanged.scopes).toEqual(["orders:read"]);
    expect(await clients.tokens.introspectToken({ token: exchanged.accessToken })).toMatchObject({
      active: true,
      sub: again,
    });
  }, 120_000);
});
