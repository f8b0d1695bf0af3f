import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SortDirection,
  TextField,
  TextMatchMode,
  UserSortField,
  closeClient,
  createUserServiceClient,
} from "@roster/client";
import { connectJson } from "./helpers/connect-json.js";
import { grpc } from "./helpers/plain-grpc.js";
import { callRoles, type RoleReply } from "./helpers/roles.js";
import { stackInfo } from "./helpers/stack-info.js";
import { callUsers, failureOf, unique } from "./helpers/users.js";

const stack = stackInfo();
const client = createUserServiceClient({
  transport: "grpc-js",
  address: `127.0.0.1:${stack.user.grpc}`,
  credential: stack.apiKey,
});
afterAll(() => closeClient(client));

// Every user here carries `tag` in its username, so searches can be scoped to this file's users.
const tag = unique("s").toLowerCase();
const people = [
  { username: `${tag}_ann`, name: "Ann Jonas", primaryEmail: `ann.${tag}@example.com` },
  { username: `${tag}_Bea`, name: "Beatrice Smithson", primaryEmail: `bea.${tag}@example.org` },
  { username: `${tag}_cid`, name: "Cid Smith" },
  { username: `${tag}_dan`, name: "Dan Jonasson", password: "tangerine-kettle" },
  { username: `${tag}_eve`, name: "Eve" },
];
const ids = new Map<string, string>();
const byTag = {
  filter: { case: "text" as const, value: { field: TextField.USERNAME, mode: TextMatchMode.PREFIX, value: `${tag}_` } },
};

interface SearchReply {
  users: { id: string; username: string }[];
  nextPageToken: string;
  totalSize: number;
}

beforeAll(async () => {
  for (const person of people) {
    const { user } = await callUsers<{ user: { id: string } }>("createUser", person);
    ids.set(person.username.slice(tag.length + 1), user.id);
  }
});

async function usernames(filter: object, query = ""): Promise<string[]> {
  const reply = await callUsers<SearchReply>("searchUsers", {
    query,
    filter: {
      and: {
        filters: [{ text: { field: "TEXT_FIELD_USERNAME", mode: "TEXT_MATCH_MODE_PREFIX", value: `${tag}_` } }, filter],
      },
    },
  });
  return reply.users.map((u) => u.username.slice(tag.length + 1)).sort();
}

describe("SearchUsers", () => {
  it("when paging through the client package then every user comes once, in username order descending", async () => {
    const seen: string[] = [];
    let pageToken = "";
    for (let i = 0; i < 5; i++) {
      const page = await client.searchUsers({
        filter: byTag,
        sort: { field: UserSortField.USERNAME, direction: SortDirection.DESCENDING },
        pageSize: 2,
        pageToken,
        includeTotal: true,
      });
      expect(page).toMatchObject({ totalSize: 5, totalSizeExact: true });
      seen.push(...page.users.map((u) => u.username.slice(tag.length + 1)));
      pageToken = page.nextPageToken;
      if (pageToken === "") break;
    }
    expect(seen).toEqual(["eve", "dan", "cid", "Bea", "ann"]);
  });

  it("when filtering by each mode over plain gRPC then the right users match", async () => {
    const text = (field: string, mode: string, value: string, extra: object = {}) => ({
      text: { field: `TEXT_FIELD_${field}`, mode: `TEXT_MATCH_MODE_${mode}`, value, ...extra },
    });
    expect(await usernames(text("NAME", "CONTAINS", "smith"))).toEqual(["Bea", "cid"]);
    expect(await usernames(text("NAME", "LIKE", "* Jonas*"))).toEqual(["ann", "dan"]);
    expect(await usernames(text("EMAIL", "REGEX", "\\.org$"))).toEqual(["Bea"]);
    expect(await usernames(text("USERNAME", "EXACT", `${tag}_BEA`))).toEqual(["Bea"]);
    expect(await usernames(text("USERNAME", "EXACT", `${tag}_BEA`, { caseSensitive: true }))).toEqual([]);
    expect(await usernames(text("NAME", "SIMILARITY", "Beatrise Smithsen", { similarityThreshold: 0.4 }))).toEqual([
      "Bea",
    ]);
    expect(await usernames({ hasPassword: true })).toEqual(["dan"]);
    expect(
      await usernames({ not: { filter: { or: { filters: [{ hasPassword: true }, text("NAME", "PREFIX", "e")] } } } }),
    ).toEqual(["Bea", "ann", "cid"]);
    expect(await usernames({ ids: { ids: [ids.get("cid"), ids.get("eve")] } })).toEqual(["cid", "eve"]);
  });

  it("when the free text is a word of the name then those users match", async () => {
    expect(await usernames({ suspended: false }, "jonas")).toEqual(["ann", "dan"]);
    expect(await usernames({ suspended: false }, "smi")).toEqual(["Bea", "cid"]);
  });

  it("when a user holds a role then the has-role filter finds it by id and by name", async () => {
    const { role } = await callRoles<RoleReply>("createRole", { role: { name: unique("searchers-") } });
    await callRoles("assignUserRoles", { userId: ids.get("eve"), roleIds: [role.id] });
    expect(await usernames({ hasRole: { roleId: role.id } })).toEqual(["eve"]);
    expect(await usernames({ hasRole: { roleName: role.name.toUpperCase() } })).toEqual(["eve"]);
  });

  it.each(["(a+)+$", ".*.*.*.*.*.*.*.*!"])(
    "when a regex is catastrophic (%s) then INVALID_ARGUMENT REGEX_REJECTED names its path",
    async (value) => {
      const bad = { text: { field: "TEXT_FIELD_NAME", mode: "TEXT_MATCH_MODE_REGEX", value } };
      expect(
        await failureOf(() => callUsers("searchUsers", { filter: { and: { filters: [{ suspended: false }, bad] } } })),
      ).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        reason: "REGEX_REJECTED",
        fields: ["filter.and.filters[1].text.value"],
      });
    },
  );

  it("when a LIKE pattern has more than 16 '*' then INVALID_ARGUMENT PATTERN_REJECTED names its path", async () => {
    const bad = { text: { field: "TEXT_FIELD_NAME", mode: "TEXT_MATCH_MODE_LIKE", value: "*a".repeat(17) } };
    expect(await failureOf(() => callUsers("searchUsers", { filter: bad }))).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      reason: "PATTERN_REJECTED",
      fields: ["filter.text.value"],
    });
  });

  it("when a page token is replayed with another query then INVALID_ARGUMENT INVALID_PAGE_TOKEN", async () => {
    const first = await client.searchUsers({ filter: byTag, pageSize: 1 });
    expect(first.nextPageToken).not.toBe("");
    expect(
      await failureOf(() => callUsers("searchUsers", { query: "other", pageSize: 1, pageToken: first.nextPageToken })),
    ).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      reason: "INVALID_PAGE_TOKEN",
      fields: ["page_token"],
    });
  });

  it("when filters nest too deep or the page size is negative then INVALID_ARGUMENT names the field", async () => {
    let filter: object = { suspended: true };
    for (let i = 0; i < 5; i++) filter = { not: { filter } };
    expect(await failureOf(() => callUsers("searchUsers", { filter }))).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      reason: "FILTER_TOO_COMPLEX",
    });
    expect(await failureOf(() => callUsers("searchUsers", { pageSize: -1 }))).toMatchObject({ fields: ["page_size"] });
  });

  it("when a similarity search is called with Connect JSON then users come ranked, each with its score, and the total is exact", async () => {
    const similar = {
      text: {
        field: "TEXT_FIELD_NAME",
        mode: "TEXT_MATCH_MODE_SIMILARITY",
        value: "Dan Jonason",
        similarityThreshold: 0.2,
      },
    };
    const reply = await connectJson(
      stack.user.http,
      "/roster.user.v1.UserService/SearchUsers",
      {
        filter: {
          and: {
            filters: [
              similar,
              { text: { field: "TEXT_FIELD_USERNAME", mode: "TEXT_MATCH_MODE_PREFIX", value: `${tag}_` } },
            ],
          },
        },
      },
      stack.apiKey,
    );
    expect(reply.status).toBe(200);
    expect((reply.body.users as { username: string }[]).map((u) => u.username)).toEqual([`${tag}_dan`, `${tag}_ann`]);
    const scores = reply.body.relevanceScores as number[];
    expect(scores).toHaveLength(2);
    expect(scores[0]).toBeGreaterThan(scores[1]!);
    expect(reply.body).toMatchObject({ totalSize: 2, totalSizeExact: true });
  });

  it("when called with Connect JSON (what curl sends) then it answers in JSON", async () => {
    const reply = await connectJson(
      stack.user.http,
      "/roster.user.v1.UserService/SearchUsers",
      { query: `${tag}_a` },
      stack.apiKey,
    );
    expect(reply.status).toBe(200);
    expect((reply.body.users as { username: string }[]).map((u) => u.username)).toEqual([`${tag}_ann`]);
    expect(reply.body.totalSize).toBe(1);
  });
});
