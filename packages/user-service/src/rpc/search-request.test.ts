import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  SearchUsersRequestSchema,
  SortDirection,
  TextField,
  TextMatchMode,
  UserSortField,
  type UserFilterSchema,
} from "@roster/client";
import { isDomainError } from "@roster/runtime/domain-error";
import { afterAll, describe, expect, it } from "vitest";
import { createRegexCostChecker, type RegexCost } from "../domain/regex-cost.js";
import type { RegexCostOf, UserSearchStore } from "../domain/search.js";
import { planSearch, searchUsers } from "../testing.js";
import type { SearchPlan } from "../domain/search-plan.js";

type FilterInit = MessageInitShape<typeof UserFilterSchema>;
const request = (init: MessageInitShape<typeof SearchUsersRequestSchema>) => create(SearchUsersRequestSchema, init);
const text = (field: TextField, mode: TextMatchMode, value: string, extra: object = {}): FilterInit => ({
  filter: { case: "text", value: { field, mode, value, ...extra } },
});
const and = (...filters: FilterInit[]): FilterInit => ({ filter: { case: "and", value: { filters } } });

function rejection(init: MessageInitShape<typeof SearchUsersRequestSchema>): { field?: string; reason: string } {
  try {
    planSearch(request(init));
  } catch (err) {
    if (!isDomainError(err)) throw err;
    return { field: err.fieldViolations[0]?.field, reason: err.reason };
  }
  throw new Error("expected a rejection");
}

describe("planSearch", () => {
  it("when nothing is given then it lists everyone by creation time, 20 a page", () => {
    const plan = planSearch(request({}));
    expect(plan).toMatchObject({
      filter: undefined,
      sort: { field: "createTime", descending: false },
      pageSize: 20,
      after: undefined,
    });
  });

  it("when query and filter are both given then they are joined by AND", () => {
    const plan = planSearch(request({ query: " Ali ", filter: { filter: { case: "suspended", value: false } } }));
    expect(plan.filter).toMatchObject({
      kind: "and",
      children: [
        { kind: "freeText", text: "Ali", key: "ali", grams: ["  a", " al", "ali"] },
        { kind: "flag", flag: "suspended", value: false },
      ],
    });
  });

  it("when text filters use each mode then the plan carries normalised values and patterns", () => {
    const plan = planSearch(
      request({
        filter: and(
          text(TextField.PHONE, TextMatchMode.PREFIX, "+49 (30)"),
          text(TextField.NAME, TextMatchMode.LIKE, "J*n?"),
          text(TextField.USERNAME, TextMatchMode.CONTAINS, "a.b"),
          text(TextField.EMAIL, TextMatchMode.SIMILARITY, "alice", { similarityThreshold: 0.5 }),
        ),
      }),
    );
    expect(plan.filter).toMatchObject({
      kind: "and",
      children: [
        { kind: "match", target: { field: "phone" }, match: "prefix", value: "+4930" },
        { kind: "pattern", target: { field: "name" }, pattern: "^J[\\s\\S]*n[\\s\\S](?![\\s\\S])" },
        { kind: "pattern", target: { field: "username" }, pattern: "a\\.b" },
        // 6 trigrams, a match shares >= 3, so it holds one of any 4: the 4 inner ones are probed.
        { kind: "similarity", field: "email", threshold: 0.5, minShared: 3, probe: ["lic", "ice", "ali", "ce "] },
      ],
    });
  });

  it("when sorting by name descending with a large page size then the size is capped at 100", () => {
    const plan = planSearch(
      request({ sort: { field: UserSortField.NAME, direction: SortDirection.DESCENDING }, pageSize: 500 }),
    );
    expect(plan.sort).toEqual({ field: "name", descending: true });
    expect(plan.pageSize).toBe(100);
  });

  it("when a nested regex is catastrophic then REGEX_REJECTED names its path in the request", () => {
    const bad = rejection({
      filter: and(text(TextField.NAME, TextMatchMode.EXACT, "x"), text(TextField.NAME, TextMatchMode.REGEX, "(a+)+$")),
    });
    expect(bad).toEqual({ field: "filter.and.filters[1].text.value", reason: "REGEX_REJECTED" });
  });

  it.each<[string, MessageInitShape<typeof SearchUsersRequestSchema>, string]>([
    ["a missing mode", { filter: text(TextField.NAME, TextMatchMode.UNSPECIFIED, "x") }, "filter.text.mode"],
    ["a missing field", { filter: text(TextField.UNSPECIFIED, TextMatchMode.EXACT, "x") }, "filter.text.field"],
    ["an empty value", { filter: text(TextField.NAME, TextMatchMode.EXACT, "") }, "filter.text.value"],
    ["an oversized value", { filter: text(TextField.NAME, TextMatchMode.EXACT, "x".repeat(257)) }, "filter.text.value"],
    [
      "a threshold outside similarity",
      { filter: text(TextField.NAME, TextMatchMode.EXACT, "x", { similarityThreshold: 0.5 }) },
      "filter.text.similarity_threshold",
    ],
    [
      "a threshold over 1",
      { filter: text(TextField.NAME, TextMatchMode.SIMILARITY, "x", { similarityThreshold: 1.5 }) },
      "filter.text.similarity_threshold",
    ],
    [
      "similarity on custom data",
      { filter: text(TextField.CUSTOM_DATA, TextMatchMode.SIMILARITY, "x", { customDataPath: "a" }) },
      "filter.text.mode",
    ],
    [
      "a custom path on a plain field",
      { filter: text(TextField.NAME, TextMatchMode.EXACT, "x", { customDataPath: "a" }) },
      "filter.text.custom_data_path",
    ],
    [
      "a bad custom path",
      { filter: text(TextField.CUSTOM_DATA, TextMatchMode.EXACT, "x", { customDataPath: "a..b" }) },
      "filter.text.custom_data_path",
    ],
    [
      "a __proto__ segment in a custom path",
      { filter: text(TextField.CUSTOM_DATA, TextMatchMode.EXACT, "x", { customDataPath: "a.__proto__" }) },
      "filter.text.custom_data_path",
    ],
    [
      "a __proto__ segment in a custom-data equality",
      {
        filter: {
          filter: {
            case: "customDataEquals",
            value: { path: "__proto__", value: { kind: { case: "numberValue", value: 1 } } },
          },
        },
      },
      "filter.custom_data_equals.path",
    ],
    [
      "a __proto__ key in a custom-data equality's value",
      {
        filter: {
          filter: {
            case: "customDataEquals",
            value: {
              path: "a",
              value: { kind: { case: "structValue", value: { fields: JSON.parse('{"__proto__": {}}') } } },
            },
          },
        },
      },
      "filter.custom_data_equals.value",
    ],
    ["an empty id list", { filter: { filter: { case: "ids", value: { ids: [] } } } }, "filter.ids.ids"],
    [
      "a bad identity target",
      { filter: { filter: { case: "identityTarget", value: "Google!" } } },
      "filter.identity_target",
    ],
    ["an empty time range", { filter: { filter: { case: "createTime", value: {} } } }, "filter.create_time"],
    [
      "a reversed time range",
      {
        filter: {
          filter: {
            case: "updateTime",
            value: { startTime: timestampFromDate(new Date(2)), endTime: timestampFromDate(new Date(1)) },
          },
        },
      },
      "filter.update_time.end_time",
    ],
    ["an empty AND", { filter: { filter: { case: "and", value: { filters: [] } } } }, "filter.and.filters"],
    ["an unset filter", { filter: {} }, "filter"],
    ["an oversized query", { query: "q".repeat(257) }, "query"],
    ["a negative page size", { pageSize: -1 }, "page_size"],
  ])("when the request has %s then INVALID_ARGUMENT names %s", (_, init, field) => {
    expect(rejection(init).field).toBe(field);
  });

  it("when filters nest more than 5 levels then FILTER_TOO_COMPLEX", () => {
    let filter: FilterInit = { filter: { case: "suspended", value: true } };
    for (let i = 0; i < 5; i++) filter = { filter: { case: "not", value: { filter } } };
    expect(rejection({ filter })).toEqual({
      field: "filter.not.filter.not.filter.not.filter.not.filter.not.filter",
      reason: "FILTER_TOO_COMPLEX",
    });
  });

  it("when a query is given without a sort then it ranks by relevance; asked for without one, or ascending, it is refused", () => {
    expect(planSearch(request({ query: "ali" })).sort).toMatchObject({
      field: "relevance",
      rank: { kind: "freeText", key: "ali" },
    });
    expect(planSearch(request({})).sort).toEqual({ field: "createTime", descending: false });
    expect(rejection({ sort: { field: UserSortField.RELEVANCE } })).toEqual({
      field: "sort.field",
      reason: "INVALID_ARGUMENT",
    });
    expect(
      rejection({ query: "ali", sort: { field: UserSortField.RELEVANCE, direction: SortDirection.ASCENDING } }),
    ).toEqual({ field: "sort.direction", reason: "INVALID_ARGUMENT" });
  });

  it("when a tree holds more than 50 filters then FILTER_TOO_COMPLEX", () => {
    const leaf: FilterInit = { filter: { case: "suspended", value: true } };
    const branch = and(...Array.from({ length: 20 }, () => leaf));
    expect(rejection({ filter: and(branch, branch, branch) }).reason).toBe("FILTER_TOO_COMPLEX");
  });
});

const linear: RegexCostOf = async () => ({ kind: "linear" });

describe("searchUsers paging", () => {
  const store: UserSearchStore<string> & { plans: SearchPlan[] } = {
    plans: [],
    async search(plan) {
      this.plans.push(plan);
      return { items: ["u1"], next: { value: 1700000000000, id: "u1", before: 1 }, total: 7, totalExact: true };
    },
  };

  it("when a page has more then its token resumes the same query after the last user", async () => {
    const first = await searchUsers(store, request({ query: "ali" }), linear);
    expect(first).toMatchObject({ users: ["u1"], totalSize: 7 });
    await searchUsers(store, request({ query: "ali", pageSize: 5, pageToken: first.nextPageToken }), linear);
    expect(store.plans[1]?.after).toEqual({ value: 1700000000000, id: "u1", before: 1 });
  });

  it("when a token is replayed with another query or sort then INVALID_PAGE_TOKEN", async () => {
    const { nextPageToken } = await searchUsers(store, request({ query: "ali" }), linear);
    expect(rejection({ query: "bob", pageToken: nextPageToken })).toEqual({
      field: "page_token",
      reason: "INVALID_PAGE_TOKEN",
    });
    expect(rejection({ query: "ali", sort: { field: UserSortField.NAME }, pageToken: nextPageToken }).reason).toBe(
      "INVALID_PAGE_TOKEN",
    );
    expect(rejection({ query: "ali", pageToken: "garbage!" }).reason).toBe("INVALID_PAGE_TOKEN");
  });
});

describe("searchUsers regex cost", () => {
  const store: UserSearchStore<string> & { searched: number } = {
    searched: 0,
    async search() {
      this.searched++;
      return { items: [], next: undefined, total: 0, totalExact: true };
    },
  };
  const checker = createRegexCostChecker({ budgetMs: 5_000 });
  afterAll(() => checker.close());

  async function outcome(
    field: TextField,
    pattern: string,
    costOf: RegexCostOf,
    extra: object = {},
  ): Promise<{ field?: string; reason: string; searched: boolean }> {
    const before = store.searched;
    const filter = and(
      text(TextField.USERNAME, TextMatchMode.PREFIX, "x"),
      text(field, TextMatchMode.REGEX, pattern, extra),
    );
    const reason = await searchUsers(store, request({ filter }), costOf).then(
      () => ({ reason: "OK" }),
      (err: unknown) =>
        isDomainError(err) ? { field: err.fieldViolations[0]?.field, reason: err.reason } : Promise.reject(err),
    );
    return { ...reason, searched: store.searched > before };
  }
  const costing =
    (cost: RegexCost): RegexCostOf =>
    async () =>
      cost;

  it("when a REGEX stacks eight unbounded quantifiers before a missing character then REGEX_REJECTED names it and nothing runs", async () => {
    expect(await outcome(TextField.NAME, ".*.*.*.*.*.*.*.*!", checker.costOf)).toEqual({
      field: "filter.and.filters[1].text.value",
      reason: "REGEX_REJECTED",
      searched: false,
    });
    // The analyser's worker starts cold here (about a second, far more on a loaded machine).
  }, 30_000);

  it("when a REGEX is linear or quadratic on a user field then it runs", async () => {
    expect(await outcome(TextField.EMAIL, "\\.org$", checker.costOf)).toEqual({ reason: "OK", searched: true });
    expect(await outcome(TextField.EMAIL, "a.*b", checker.costOf)).toEqual({ reason: "OK", searched: true });
  }, 30_000);

  it.each<[string, TextField, RegexCost]>([
    ["cubic on a user field", TextField.NAME, { kind: "polynomial", degree: 3 }],
    ["quadratic on custom data", TextField.CUSTOM_DATA, { kind: "polynomial", degree: 2 }],
    ["exponential", TextField.NAME, { kind: "exponential" }],
    ["undecided within its budget", TextField.NAME, { kind: "unknown", why: "timeout" }],
  ])("when a REGEX is %s then REGEX_REJECTED and nothing runs", async (_, field, cost) => {
    const extra = field === TextField.CUSTOM_DATA ? { customDataPath: "note" } : {};
    expect(await outcome(field, "a.*b", costing(cost), extra)).toEqual({
      field: "filter.and.filters[1].text.value",
      reason: "REGEX_REJECTED",
      searched: false,
    });
  });

  it("when a REGEX is linear on custom data then it runs", async () => {
    expect(
      await outcome(TextField.CUSTOM_DATA, "^gold", costing({ kind: "linear" }), { customDataPath: "plan.tier" }),
    ).toEqual({ reason: "OK", searched: true });
  });

  it("when the check takes longer than its budget then the pattern is refused, not waited for", async () => {
    const impatient = createRegexCostChecker({ budgetMs: 1 });
    try {
      expect(await impatient.costOf("(a?){30}a{30}", "is")).toEqual({ kind: "unknown", why: "timeout" });
    } finally {
      await impatient.close();
    }
  });
});
