import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { SearchUsersRequestSchema, SortDirection, TextField, TextMatchMode, UserSortField } from "@roster/client";
import { ensureIndexes } from "@roster/runtime";
import { isDomainError } from "@roster/runtime/domain-error";
import { MongoClient, type Document } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRegexCostChecker } from "../domain/regex-cost.js";
import { planSearch, searchUsers, userDocument } from "../testing.js";
import { maxGlobWildcards } from "../domain/search-regex.js";
import { roleIndexes } from "./role-indexes.js";
import { searchIndexes } from "./search-indexes.js";
import { useBackend } from "@roster/mongo-double/testing";
import { searchFieldsOf, type UserDocument } from "./user-document.js";
import { createUserSearch, type UserSearch } from "./user-search.js";
import { usersCollection } from "./user-repository.js";

type RequestInit = MessageInitShape<typeof SearchUsersRequestSchema>;
const testDb = useBackend("user_search");
const day = (n: number) => new Date(Date.UTC(2024, 0, n));

function user(id: string, fields: Partial<UserDocument>, created: number): UserDocument {
  const doc = userDocument(id, day(created), day(created + 10), fields);
  if (doc.username !== undefined) doc.usernameKey = doc.username.toLowerCase();
  if (doc.email !== undefined) doc.emailKey = doc.email.toLowerCase();
  if (doc.name !== undefined) doc.nameKey = doc.name.toLowerCase();
  return { ...doc, ...searchFieldsOf(doc) };
}

const link = (target: string) => ({ target, providerUserId: "p", details: {}, linkTime: day(1) });
const users = [
  user(
    "u01",
    { username: "Alice", email: "Alice@Example.com", name: "Alice Liddell", phone: "+4930111", roleIds: ["r-admin"] },
    1,
  ),
  user(
    "u02",
    {
      username: "alicia",
      email: "alicia@example.org",
      name: "Alicia Keys",
      customData: { plan: { tier: "Gold", seats: 5 } },
    },
    2,
  ),
  user(
    "u03",
    { username: "bob", email: "bob@example.com", name: "John Smith", suspended: true, identities: [link("google")] },
    3,
  ),
  user(
    "u04",
    { username: "carol", name: "Carol O'Brien", password: { algorithm: "argon2id", hash: "h", setTime: day(1) } },
    4,
  ),
  user(
    "u05",
    {
      email: "dave@test.io",
      name: "Dave (a.k.a. D*)",
      lastSignInTime: day(20),
      customData: { plan: { seats: 5, tier: "Gold" } },
    },
    5,
  ),
  user("u06", { username: "eve", phone: "+4930222", name: "Eve Smithers", roleIds: ["r-admin", "r-dev"] }, 6),
  user("u07", { username: "Zed", lastSignInTime: day(15), customData: { note: "line1\nline2" } }, 7),
  user("u08", { username: "mallory", name: "alice cooper", identities: [link("github")] }, 8),
];

let search: UserSearch;
const regexCosts = createRegexCostChecker({ budgetMs: 5_000 });
afterAll(() => regexCosts.close());
beforeAll(async () => {
  const db = testDb.db;
  await ensureIndexes(db, [...searchIndexes, ...roleIndexes]);
  await db.collection("roles").insertOne({ _id: "r-admin", name: "Admin", nameKey: "admin" } as Document);
  await db.collection<UserDocument>("users").insertMany(users);
  search = createUserSearch(db, { timeLimitMs: 2_000 });
});

async function ids(init: RequestInit): Promise<string[]> {
  const result = await searchUsers(
    search,
    create(SearchUsersRequestSchema, { pageSize: 100, ...init }),
    regexCosts.costOf,
  );
  return result.users.map((u) => u._id);
}

const text = (field: TextField, mode: TextMatchMode, value: string, extra: object = {}): RequestInit => ({
  filter: { filter: { case: "text", value: { field, mode, value, ...extra } } },
});
const F = TextField;
const M = TextMatchMode;

describe("UserSearch against the database", () => {
  it.each<[string, RequestInit, string[]]>([
    ["exact username, any case", text(F.USERNAME, M.EXACT, "ALICE"), ["u01"]],
    ["exact username, case-sensitive", text(F.USERNAME, M.EXACT, "alice", { caseSensitive: true }), []],
    ["prefix username", text(F.USERNAME, M.PREFIX, "ali"), ["u01", "u02"]],
    ["prefix username, case-sensitive", text(F.USERNAME, M.PREFIX, "Ali", { caseSensitive: true }), ["u01"]],
    ["exact email, any case", text(F.EMAIL, M.EXACT, "alice@EXAMPLE.com"), ["u01"]],
    ["prefix phone with spaces", text(F.PHONE, M.PREFIX, "+49 30"), ["u01", "u06"]],
    ["exact id", text(F.ID, M.EXACT, "u03"), ["u03"]],
    ["prefix name with regex characters", text(F.NAME, M.PREFIX, "dave (a.k"), ["u05"]],
    ["contains name", text(F.NAME, M.CONTAINS, "SMITH"), ["u03", "u06"]],
    ["contains name, case-sensitive", text(F.NAME, M.CONTAINS, "smith", { caseSensitive: true }), []],
    ["like name", text(F.NAME, M.LIKE, "* o'?rien"), ["u04"]],
    ["like with an escaped star", text(F.NAME, M.LIKE, "*D\\*)"), ["u05"]],
    ["regex email", text(F.EMAIL, M.REGEX, "@example\\.(com|org)$"), ["u01", "u02", "u03"]],
    ["similarity name", text(F.NAME, M.SIMILARITY, "alise liddel", { similarityThreshold: 0.3 }), ["u01"]],
    ["similarity username, ranked", text(F.USERNAME, M.SIMILARITY, "alicia"), ["u02", "u01"]],
    ["similarity username, strict", text(F.USERNAME, M.SIMILARITY, "alicia", { similarityThreshold: 0.9 }), ["u02"]],
    ["custom data exact", text(F.CUSTOM_DATA, M.EXACT, "gold", { customDataPath: "plan.tier" }), ["u02", "u05"]],
    ["custom data contains across lines", text(F.CUSTOM_DATA, M.REGEX, "1.line", { customDataPath: "note" }), ["u07"]],
    ["free text: a word of the name", { query: "smi" }, ["u03", "u06"]],
    ["free text: name start", { query: "alice" }, ["u01", "u08"]],
    ["free text: email and phone", { query: "+4930 2" }, ["u06"]],
    ["free text: id", { query: "u04" }, ["u04"]],
    ["ids", { filter: { filter: { case: "ids", value: { ids: ["u02", "u07", "nope"] } } } }, ["u02", "u07"]],
    [
      "emails",
      { filter: { filter: { case: "emails", value: { emails: ["BOB@example.com", "dave@test.io"] } } } },
      ["u03", "u05"],
    ],
    ["suspended", { filter: { filter: { case: "suspended", value: true } } }, ["u03"]],
    ["has password", { filter: { filter: { case: "hasPassword", value: true } } }, ["u04"]],
    [
      "has role by id",
      { filter: { filter: { case: "hasRole", value: { role: { case: "roleId", value: "r-dev" } } } } },
      ["u06"],
    ],
    [
      "has role by name",
      { filter: { filter: { case: "hasRole", value: { role: { case: "roleName", value: "ADMIN" } } } } },
      ["u01", "u06"],
    ],
    [
      "has unknown role name",
      { filter: { filter: { case: "hasRole", value: { role: { case: "roleName", value: "x" } } } } },
      [],
    ],
    ["identity target", { filter: { filter: { case: "identityTarget", value: "github" } } }, ["u08"]],
    [
      "created in range",
      {
        filter: {
          filter: {
            case: "createTime",
            value: { startTime: timestampFromDate(day(2)), endTime: timestampFromDate(day(4)) },
          },
        },
      },
      ["u02", "u03"],
    ],
    [
      "signed in after",
      { filter: { filter: { case: "lastSignInTime", value: { startTime: timestampFromDate(day(16)) } } } },
      ["u05"],
    ],
    [
      "custom data equals an object in another key order",
      {
        filter: {
          filter: {
            case: "customDataEquals",
            value: {
              path: "plan",
              value: {
                kind: {
                  case: "structValue",
                  value: {
                    fields: {
                      tier: { kind: { case: "stringValue", value: "Gold" } },
                      seats: { kind: { case: "numberValue", value: 5 } },
                    },
                  },
                },
              },
            },
          },
        },
      },
      ["u02", "u05"],
    ],
    [
      "AND / OR / NOT",
      {
        filter: {
          filter: {
            case: "and",
            value: {
              filters: [
                {
                  filter: {
                    case: "or",
                    value: {
                      filters: [text(F.NAME, M.CONTAINS, "smith").filter!, text(F.USERNAME, M.PREFIX, "ali").filter!],
                    },
                  },
                },
                { filter: { case: "not", value: { filter: { filter: { case: "suspended", value: true } } } } },
              ],
            },
          },
        },
      },
      ["u01", "u02", "u06"],
    ],
  ])("when searching by %s then the right users match", async (_, init, expected) => {
    expect(await ids(init)).toEqual(expected);
  });

  it("when paging by username descending then pages are complete, ordered and stable, missing usernames last", async () => {
    const seen: string[] = [];
    let pageToken = "";
    for (let i = 0; i < 10; i++) {
      const init: RequestInit = {
        sort: { field: UserSortField.USERNAME, direction: SortDirection.DESCENDING },
        pageSize: 3,
        pageToken,
        includeTotal: true,
      };
      const page = await searchUsers(search, create(SearchUsersRequestSchema, init), regexCosts.costOf);
      expect(page.totalSize).toBe(users.length);
      seen.push(...page.users.map((u) => u._id));
      pageToken = page.nextPageToken;
      if (pageToken === "") break;
    }
    expect(seen).toEqual(["u07", "u08", "u06", "u04", "u03", "u02", "u01", "u05"]);
  });

  it("when paging by last sign-in ascending then users who never signed in come first, by id", async () => {
    const seen: string[] = [];
    let pageToken = "";
    for (let i = 0; i < 10; i++) {
      const init: RequestInit = { sort: { field: UserSortField.LAST_SIGN_IN_TIME }, pageSize: 4, pageToken };
      const page = await searchUsers(search, create(SearchUsersRequestSchema, init), regexCosts.costOf);
      seen.push(...page.users.map((u) => u._id));
      pageToken = page.nextPageToken;
      if (pageToken === "") break;
    }
    expect(seen).toEqual(["u01", "u02", "u03", "u04", "u06", "u08", "u07", "u05"]);
  });

  it("when the server runs out of time then RESOURCE_EXHAUSTED SEARCH_TIME_LIMIT_EXCEEDED", async (ctx) => {
    const admin = testDb.db.admin();
    const enabled = await admin.command({ configureFailPoint: "maxTimeAlwaysTimeOut", mode: "alwaysOn" }).then(
      () => true,
      () => false,
    );
    if (!enabled) ctx.skip();
    try {
      const err = await searchUsers(
        search,
        create(SearchUsersRequestSchema, text(F.NAME, M.CONTAINS, "x")),
        regexCosts.costOf,
      ).catch((e: unknown) => e);
      expect(isDomainError(err) && { kind: err.kind, reason: err.reason }).toEqual({
        kind: "resource-exhausted",
        reason: "SEARCH_TIME_LIMIT_EXCEEDED",
      });
    } finally {
      await admin.command({ configureFailPoint: "maxTimeAlwaysTimeOut", mode: "off" });
    }
  });
});

describe("round trips of a search", () => {
  it("when a page is read in a stored field's order then the database sees one find, and a ranked page two, never a getMore or killCursors", async () => {
    const monitored = new MongoClient(`mongodb://${testDb.client.options.hosts.join(",")}`, { monitorCommands: true });
    const commands: string[] = [];
    monitored.on("commandStarted", (event) => commands.push(event.commandName));
    try {
      const watched = createUserSearch(monitored.db(testDb.db.databaseName), { timeLimitMs: 2_000 });
      const sorted = await searchUsers(watched, create(SearchUsersRequestSchema, { pageSize: 3 }), regexCosts.costOf);
      expect(sorted.nextPageToken).not.toBe("");
      expect(commands.filter((c) => c !== "hello" && c !== "ping")).toEqual(["find"]);
      commands.length = 0;
      const ranked = await searchUsers(watched, create(SearchUsersRequestSchema, { query: "ali" }), regexCosts.costOf);
      expect(ranked.users.length).toBeGreaterThan(0);
      expect(commands.filter((c) => c !== "hello" && c !== "ping")).toEqual(["find", "find"]);
    } finally {
      await monitored.close();
    }
  });
});

describe("worst-case patterns", () => {
  // A database of its own, so these users stay out of the other tests' counts.
  let flood: UserSearch;
  const run = "a".repeat(256);
  beforeAll(async () => {
    const db = testDb.client.db("user_search_flood");
    await db.dropDatabase();
    await db
      .collection<UserDocument>("users")
      .insertMany([
        user("f1", { username: "f1", name: run, customData: { note: run.repeat(64) } }, 1),
        user("f2", { username: "f2", name: `${run.slice(1)}b` }, 2),
      ]);
    flood = createUserSearch(db, { timeLimitMs: 2_000 });
  });
  afterAll(() => testDb.client.db("user_search_flood").dropDatabase());

  const floodIds = async (init: RequestInit) =>
    (await searchUsers(flood, create(SearchUsersRequestSchema, init), regexCosts.costOf)).users.map((u) => u._id);
  const stars = `${"*a".repeat(maxGlobWildcards - 1)}*`;

  it("when a LIKE pattern floods '*' against a long run of one letter then the right users match", async () => {
    expect(await floodIds(text(F.NAME, M.LIKE, `${stars}b`))).toEqual(["f2"]);
    expect(await floodIds(text(F.NAME, M.LIKE, `${stars}a`))).toEqual(["f1"]);
    expect(await floodIds(text(F.CUSTOM_DATA, M.LIKE, `${stars}b`, { customDataPath: "note" }))).toEqual([]);
  });

  it("when a LIKE pattern has too many '*' then INVALID_ARGUMENT PATTERN_REJECTED names its value", async () => {
    const err = await floodIds(text(F.NAME, M.LIKE, `${stars}*b`)).catch((e: unknown) => e);
    expect(isDomainError(err) && { reason: err.reason, field: err.fieldViolations[0]?.field }).toEqual({
      reason: "PATTERN_REJECTED",
      field: "filter.text.value",
    });
  });
});

/** Every field name a filter constrains, at any depth. */
function fieldsOf(filter: object): string[] {
  return Object.entries(filter).flatMap(([key, value]) =>
    key === "$and" || key === "$or" || key === "$nor" ? (value as object[]).flatMap(fieldsOf) : [key],
  );
}

/** Fields an index can serve on its own: `_id` and the leading field of every users index search relies on. */
const indexed = new Set([
  "_id",
  ...[...searchIndexes, ...roleIndexes]
    .filter((spec) => spec.collection === usersCollection)
    .flatMap((spec) => spec.indexes.map((index) => Object.keys(index.key)[0]!)),
]);
const indexedModes: [string, RequestInit][] = [
  ["exact username", text(F.USERNAME, M.EXACT, "Alice")],
  ["prefix email", text(F.EMAIL, M.PREFIX, "ali")],
  ["prefix phone", text(F.PHONE, M.PREFIX, "+49")],
  ["exact name", text(F.NAME, M.EXACT, "Alice Liddell")],
  ["prefix id", text(F.ID, M.PREFIX, "u0")],
  ["similarity", text(F.NAME, M.SIMILARITY, "alise")],
  ["free text", { query: "ali smi" }],
];

describe("indexed search modes", () => {
  it.each(indexedModes)(
    "when searching by %s then every branch of the filter constrains an indexed field",
    async (_, init) => {
      const filter = await search.filterFor(planSearch(create(SearchUsersRequestSchema, init)));
      const branches: object[] = "$or" in filter ? (filter.$or as object[]) : [filter];
      for (const branch of branches) expect(fieldsOf(branch).some((f) => indexed.has(f))).toBe(true);
      expect(fieldsOf(filter).every((f) => indexed.has(f))).toBe(true);
    },
  );

  it("when searching case-sensitively then the key index narrows before the display value decides", async () => {
    const filter = await search.filterFor(
      planSearch(create(SearchUsersRequestSchema, text(F.USERNAME, M.PREFIX, "Ali", { caseSensitive: true }))),
    );
    expect(fieldsOf(filter)).toEqual(["usernameKey", "username"]);
  });

  it.each(indexedModes)("when searching by %s then explain shows no collection scan", async (_, init) => {
    const filter = await search.filterFor(planSearch(create(SearchUsersRequestSchema, init)));
    const explain = await testDb.db.collection<UserDocument>("users").find(filter).explain("queryPlanner");
    expect(JSON.stringify(explain.queryPlanner.winningPlan)).not.toContain("COLLSCAN");
  });
});

describe("plans the indexes serve", () => {
  // A database of its own: 300 users none of these searches match, so a scan would show in docsExamined.
  let planned: UserSearch;
  const db = () => testDb.client.db("user_search_plans");
  const filler = Array.from({ length: 300 }, (_, i) =>
    user(
      `p${String(i).padStart(3, "0")}`,
      { username: `filler${i}`, email: `filler${i}@example.net`, name: `Filler Person ${i}` },
      1,
    ),
  );
  const targets = [
    user("t1", { username: "mobe", name: "Maximilian Oberhausen" }, 2),
    user("t2", { username: "hmax", name: "Hausen Maxim" }, 3),
    user("t3", { username: "osmith", name: "Oberon Smith", phone: "+4930555" }, 4),
    ...["t6", "t4", "t5"].map((id, i) => user(id, { username: `tie${i}`, name: "Tie Same" }, 5 + i)),
    user("t7", { username: "tie9", name: "Tie Samer" }, 9),
  ];
  beforeAll(async () => {
    await db().dropDatabase();
    await ensureIndexes(db(), searchIndexes);
    await db()
      .collection<UserDocument>("users")
      .insertMany([...filler, ...targets]);
    planned = createUserSearch(db(), { timeLimitMs: 2_000 });
  });
  afterAll(() => db().dropDatabase());

  async function executed(init: RequestInit): Promise<{ plan: string; docsExamined: number; returned: number }> {
    const filter = await planned.filterFor(planSearch(create(SearchUsersRequestSchema, init)));
    const explain = await db().collection<UserDocument>("users").find(filter).explain("executionStats");
    return {
      plan: JSON.stringify(explain.queryPlanner.winningPlan),
      docsExamined: explain.executionStats.totalDocsExamined,
      returned: explain.executionStats.nReturned,
    };
  }

  const or = (...filters: RequestInit[]): RequestInit => ({
    filter: { filter: { case: "or", value: { filters: filters.map((f) => f.filter!) } } },
  });
  it.each<[string, RequestInit, number, number]>([
    // [mode, request, users matched, most documents the index may hand over]
    ["contains name (trigram candidates, checked exactly)", text(F.NAME, M.CONTAINS, "berhau"), 1, 2],
    ["contains name across words", text(F.NAME, M.CONTAINS, "n oberh"), 1, 2],
    ["contains username", text(F.USERNAME, M.CONTAINS, "SMIT"), 1, 1],
    ["contains phone", text(F.PHONE, M.CONTAINS, "30 555"), 1, 1],
    [
      "OR of contains",
      or(text(F.NAME, M.CONTAINS, "berhau"), text(F.NAME, M.CONTAINS, "axim"), text(F.EMAIL, M.CONTAINS, "ler299@")),
      3,
      4,
    ],
    ["free text: a later word of the name", { query: "hausen" }, 1, 1],
    ["free text: name and word starts", { query: "Maxi" }, 2, 2],
    ["free text: phone with spaces", { query: "+49 30 55" }, 1, 1],
    ["free text: id", { query: "t3" }, 1, 1],
    // Candidates hold the prefix's rarest trigram anywhere ("xim": Maximilian and Maxim), in creation order.
    ["prefix name", text(F.NAME, M.PREFIX, "maxim"), 1, 2],
    ["prefix username", text(F.USERNAME, M.PREFIX, "tie"), 4, 4],
    ["similarity (candidates resolved to ids)", text(F.NAME, M.SIMILARITY, "Tie Same"), 4, 4],
  ])("when searching by %s then an index scan hands over only its candidates", async (_, init, matched, candidates) => {
    const run = await executed(init);
    expect(run.plan).toContain("IXSCAN");
    expect(run.plan).not.toContain("COLLSCAN");
    expect(run.returned).toBe(matched);
    expect(run.docsExamined).toBeLessThanOrEqual(candidates);
  });

  it("when CONTAINS has no whole trigram then it scans, and finds the same users", async () => {
    const run = await executed(text(F.NAME, M.CONTAINS, "ax"));
    expect(run.plan).toContain("COLLSCAN");
    expect(run.returned).toBe(2);
  });

  const ranked = async (init: RequestInit) =>
    searchUsers(planned, create(SearchUsersRequestSchema, init), regexCosts.costOf);

  it("when searching by similarity to a misspelt name then the closest comes first, with its score", async () => {
    const page = await ranked(text(F.NAME, M.SIMILARITY, "Maximillian Oberhausen", { similarityThreshold: 0.1 }));
    expect(page.users.map((u) => u._id).slice(0, 2)).toEqual(["t1", "t2"]);
    const [first, second] = page.relevanceScores;
    expect(first).toBeGreaterThan(second!);
    expect(first).toBeGreaterThan(0.5);
    expect(page).toMatchObject({ totalSize: page.users.length, totalSizeExact: true });
  });

  it("when similarity has more candidates than its cap then it scores no more than the cap, and all of them under it", async () => {
    const request = create(SearchUsersRequestSchema, text(F.NAME, M.SIMILARITY, "Tie Same"));
    const capped = await searchUsers(
      createUserSearch(db(), { timeLimitMs: 2_000, similarityCandidates: 2 }),
      request,
      regexCosts.costOf,
    );
    expect(capped.totalSize).toBeLessThanOrEqual(2);
    expect(capped.users.every((u) => u.name?.startsWith("Tie Same"))).toBe(true);
    expect((await searchUsers(planned, request, regexCosts.costOf)).totalSize).toBe(4);
  });

  it("when free text matches more users than the ranked candidates bound then it ranks that many, pages end there, and the total is a lower bound", async () => {
    const bounded = createUserSearch(db(), { timeLimitMs: 2_000, rankedCandidates: 50 });
    const seen: string[] = [];
    let page = await searchUsers(bounded, create(SearchUsersRequestSchema, { query: "filler" }), regexCosts.costOf);
    expect(page).toMatchObject({ totalSize: 51, totalSizeExact: false });
    for (;;) {
      seen.push(...page.users.map((u) => u._id));
      if (page.nextPageToken === "") break;
      page = await searchUsers(
        bounded,
        create(SearchUsersRequestSchema, { query: "filler", pageToken: page.nextPageToken }),
        regexCosts.costOf,
      );
    }
    expect(seen).toHaveLength(50);
    expect(new Set(seen).size).toBe(50);
    const counted = await searchUsers(
      bounded,
      create(SearchUsersRequestSchema, { query: "filler", includeTotal: true }),
      regexCosts.costOf,
    );
    expect(counted).toMatchObject({ totalSize: 300, totalSizeExact: true });
  });

  it("when free text is bounded to a few candidates then the user it names exactly still comes first, scored 1", async () => {
    const bounded = createUserSearch(db(), { timeLimitMs: 2_000, rankedCandidates: 3 });
    const page = await searchUsers(bounded, create(SearchUsersRequestSchema, { query: "filler1" }), regexCosts.costOf);
    expect(page.users.map((u) => u.username).slice(0, 1)).toEqual(["filler1"]);
    expect(page.relevanceScores[0]).toBe(1);
    expect(page.users).toHaveLength(3);
  });

  it("when free text is ranked then an exact name scores 1 and comes before a longer one", async () => {
    const page = await ranked({ query: "tie same" });
    expect(page.users.map((u) => u._id)).toEqual(["t4", "t5", "t6", "t7"]);
    expect(page.relevanceScores.slice(0, 3)).toEqual([1, 1, 1]);
    expect(page.relevanceScores[3]).toBeLessThan(1);
  });

  it("when paging through ranked results then each user comes once, by score then id, and the token carries both", async () => {
    const seen: string[] = [];
    const scores: number[] = [];
    let pageToken = "";
    for (let i = 0; i < 5; i++) {
      const page = await ranked({ ...text(F.NAME, M.SIMILARITY, "Tie Same"), pageSize: 2, pageToken });
      seen.push(...page.users.map((u) => u._id));
      scores.push(...page.relevanceScores);
      pageToken = page.nextPageToken;
      if (pageToken === "") break;
      const cursor = (JSON.parse(Buffer.from(pageToken, "base64url").toString()) as { c: { id: string; v: number } }).c;
      expect(cursor).toMatchObject({ id: seen[seen.length - 1], v: scores[scores.length - 1] });
    }
    expect(seen).toEqual(["t4", "t5", "t6", "t7"]);
    expect(scores.slice(0, 3)).toEqual([1, 1, 1]);
  });

  it("when a sort field is asked for then results follow it and carry no scores", async () => {
    const page = await ranked({
      filter: text(F.NAME, M.SIMILARITY, "Tie Same").filter,
      sort: { field: UserSortField.CREATE_TIME },
    });
    expect(page.users.map((u) => u._id)).toEqual(["t6", "t4", "t5", "t7"]);
    expect(page.relevanceScores).toEqual([]);
  });

  it("when the total is not asked for then a later page gives a lower bound; asked for, the exact count", async () => {
    const init = { ...text(F.USERNAME, M.PREFIX, "filler"), pageSize: 10 };
    const first = await ranked(init);
    expect(first).toMatchObject({ totalSize: 11, totalSizeExact: false });
    const second = await ranked({ ...init, pageToken: first.nextPageToken });
    expect(second).toMatchObject({ totalSize: 21, totalSizeExact: false });
    expect(await ranked({ ...init, includeTotal: true })).toMatchObject({ totalSize: 300, totalSizeExact: true });
  });
});

describe("pages the indexes serve in order", () => {
  const db = () => testDb.client.db("user_search_order");
  let ordered: UserSearch;
  beforeAll(async () => {
    await db().dropDatabase();
    await ensureIndexes(db(), searchIndexes);
    await db()
      .collection<UserDocument>("users")
      .insertMany(
        Array.from({ length: 200 }, (_, i) =>
          user(`o${String(i).padStart(3, "0")}`, { username: `o${i}`, name: `Anna Andersen ${i}` }, 1 + (i % 28)),
        ),
      );
    ordered = createUserSearch(db(), { timeLimitMs: 2_000 });
  });
  afterAll(() => db().dropDatabase());

  /** The page query storage runs for a request (sorted by creation, one more than the page), explained. */
  async function explainPage(init: RequestInit): Promise<Document> {
    const plan = planSearch(create(SearchUsersRequestSchema, { ...init, pageSize: 10 }));
    const filter = await ordered.filterFor(plan);
    return db()
      .collection<UserDocument>("users")
      .find(filter)
      .sort({ createTime: 1, _id: 1 })
      .limit(11)
      .explain("executionStats");
  }
  const firstTen = Array.from({ length: 200 }, (_, i) => ({ id: `o${String(i).padStart(3, "0")}`, day: 1 + (i % 28) }))
    .sort((a, b) => a.day - b.day || (a.id < b.id ? -1 : 1))
    .slice(0, 10)
    .map((u) => u.id);
  const pageIds = async (init: RequestInit) =>
    (
      await searchUsers(ordered, create(SearchUsersRequestSchema, { ...init, pageSize: 10 }), regexCosts.costOf)
    ).users.map((u) => u._id);
  const or = (...filters: RequestInit[]): RequestInit => ({
    filter: { filter: { case: "or", value: { filters: filters.map((f) => f.filter!) } } },
  });

  it("when an OR of five CONTAINS matches every user then its branches merge in creation order and the page reads about a page of them", async () => {
    const init = or(
      ...["ndersen", "nna an", "anna", "dersen", "nderse"].map((value) => text(F.NAME, M.CONTAINS, value)),
    );
    const explain = await explainPage(init);
    const plan = JSON.stringify(explain.queryPlanner.winningPlan);
    expect(plan).toContain('"SORT_MERGE"');
    expect(plan).not.toContain('"SORT"');
    expect(explain.executionStats.totalDocsExamined).toBeLessThanOrEqual(11);
    expect(await pageIds(init)).toEqual(firstTen);
  });

  it("when a name PREFIX matches every user then the page walks an index in creation order instead of sorting every match", async () => {
    const init = text(F.NAME, M.PREFIX, "anna");
    const explain = await explainPage(init);
    expect(JSON.stringify(explain.queryPlanner.winningPlan)).toContain('"search_grams_create_time_id"');
    expect(JSON.stringify(explain.queryPlanner.winningPlan)).not.toContain('"SORT"');
    expect(explain.executionStats.totalDocsExamined).toBeLessThanOrEqual(11);
    expect(await pageIds(init)).toEqual(firstTen);
  });

  it("when a name PREFIX matches one user in 26 then the page reads about a page of them in creation order, not every match", async () => {
    const firstNames = ["Anna", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ingrid", "Jamal"];
    const more = Array.from({ length: 520 }, (_, i) =>
      user(`q${String(i).padStart(3, "0")}`, { name: `${firstNames[i % 26] ?? `Zoe${i % 26}`} Berg` }, 1 + (i % 28)),
    );
    const local = testDb.client.db("user_search_prefix");
    await local.dropDatabase();
    await ensureIndexes(local, searchIndexes);
    await local.collection<UserDocument>("users").insertMany(more);
    const filter = await createUserSearch(local, { timeLimitMs: 2_000 }).filterFor(
      planSearch(create(SearchUsersRequestSchema, { ...text(F.NAME, M.PREFIX, "anna"), pageSize: 10 })),
    );
    const explain = await local
      .collection<UserDocument>("users")
      .find(filter)
      .sort({ createTime: 1, _id: 1 })
      .limit(11)
      .explain("executionStats");
    const annas = more
      .filter((u) => u.name?.startsWith("Anna "))
      .sort((a, b) => a.createTime.getTime() - b.createTime.getTime() || (a._id < b._id ? -1 : 1));
    const found = await local
      .collection<UserDocument>("users")
      .find(filter, { projection: { _id: 1 } })
      .sort({ createTime: 1, _id: 1 })
      .limit(11)
      .toArray();
    await local.dropDatabase();
    expect(JSON.stringify(explain.queryPlanner.winningPlan)).not.toContain('"SORT"');
    expect(explain.executionStats.totalDocsExamined).toBeLessThanOrEqual(11);
    expect(found.map((u) => u._id)).toEqual(annas.slice(0, 11).map((u) => u._id));
  });

  it("when a page is returned then its users leave out the search-only trigrams and keys", async () => {
    const page = await searchUsers(ordered, create(SearchUsersRequestSchema, { pageSize: 3 }), regexCosts.costOf);
    expect(page.users.map((u) => [u.grams, u.searchKeys, typeof u.name])).toEqual(
      Array(3).fill([undefined, undefined, "string"]),
    );
  });

  it("when a page is returned then it read only the fields a user shows, and the key it is sorted by", async () => {
    const byName = await searchUsers(
      search,
      create(SearchUsersRequestSchema, { sort: { field: UserSortField.NAME }, pageSize: 8 }),
      regexCosts.costOf,
    );
    const stored = (id: string) => users.find((u) => u._id === id) as UserDocument;
    const storageOnly = ["usernameKey", "emailKey", "grams", "searchKeys", "roleIds", "failedAttempts"];
    for (const u of byName.users) {
      expect(Object.keys(u).filter((k) => storageOnly.includes(k))).toEqual([]);
      expect(u.nameKey).toBe(stored(u._id).nameKey);
      expect(u.password).toEqual(stored(u._id).password);
    }
    expect(byName.users.filter((u) => u.password !== undefined).map((u) => u._id)).toEqual(["u04"]);
  });

  it("when CONTAINS matches many users then the first page in creation order reads about a page of them, not every match", async () => {
    const plan = planSearch(create(SearchUsersRequestSchema, { ...text(F.NAME, M.CONTAINS, "ndersen"), pageSize: 10 }));
    const filter = await ordered.filterFor(plan);
    const explain = await db()
      .collection<UserDocument>("users")
      .find(filter)
      .sort({ createTime: 1, _id: 1 })
      .limit(11)
      .explain("executionStats");
    expect(JSON.stringify(explain.queryPlanner.winningPlan)).not.toContain('"SORT"');
    expect(explain.executionStats.totalDocsExamined).toBeLessThanOrEqual(11);
    const page = await searchUsers(
      ordered,
      create(SearchUsersRequestSchema, { ...text(F.NAME, M.CONTAINS, "ndersen"), pageSize: 10 }),
      regexCosts.costOf,
    );
    const expected = Array.from({ length: 200 }, (_, i) => ({
      id: `o${String(i).padStart(3, "0")}`,
      day: 1 + (i % 28),
    }))
      .sort((a, b) => a.day - b.day || (a.id < b.id ? -1 : 1))
      .slice(0, 10)
      .map((u) => u.id);
    expect(page.users.map((u) => u._id)).toEqual(expected);
  });
});
