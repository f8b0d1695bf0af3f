import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  SortDirection,
  TextField,
  TextMatchMode,
  UserFilterSchema,
  UserSortField,
  type User,
  type UserFilter,
} from "@roster/client/contract";
import { announce, field, formatTime, h, row, select } from "./dom.js";
import { attempt, errorSlot } from "./errors.js";
import type { Screen } from "./main.js";

const fields = [
  ["", "Any field (free text)"],
  [String(TextField.ID), "Id"],
  [String(TextField.USERNAME), "Username"],
  [String(TextField.EMAIL), "Email"],
  [String(TextField.PHONE), "Phone"],
  [String(TextField.NAME), "Name"],
  [String(TextField.CUSTOM_DATA), "Custom data path"],
] as const;

const modes = [
  [String(TextMatchMode.PREFIX), "Starts with"],
  [String(TextMatchMode.EXACT), "Exactly"],
  [String(TextMatchMode.CONTAINS), "Contains"],
  [String(TextMatchMode.LIKE), "Like (* and ?)"],
  [String(TextMatchMode.REGEX), "Regular expression"],
  [String(TextMatchMode.SIMILARITY), "Similar to (misspellings)"],
] as const;

const sorts = [
  [String(UserSortField.CREATE_TIME), "Created"],
  [String(UserSortField.UPDATE_TIME), "Updated"],
  [String(UserSortField.LAST_SIGN_IN_TIME), "Last sign-in"],
  [String(UserSortField.USERNAME), "Username"],
  [String(UserSortField.NAME), "Name"],
] as const;

function input(type: string, attrs: Record<string, string> = {}): HTMLInputElement {
  return h("input", { type, ...attrs });
}

function timeRange(after: HTMLInputElement, before: HTMLInputElement) {
  const start = after.value === "" ? undefined : timestampFromDate(new Date(after.value));
  const end = before.value === "" ? undefined : timestampFromDate(new Date(before.value));
  return start === undefined && end === undefined ? undefined : { startTime: start, endTime: end };
}

/** The users screen: one search box with a field and match mode, filters, sort, and cursor paging. */
export async function renderUsers(screen: Screen): Promise<void> {
  const { clients, main } = screen;
  const query = input("search", { placeholder: "name, username, email, phone or id" });
  const textField = select(fields);
  const mode = select(modes);
  const customPath = input("text", { placeholder: "e.g. plan.tier" });
  const caseSensitive = input("checkbox");
  const suspended = select([
    ["", "Any"],
    ["true", "Suspended"],
    ["false", "Not suspended"],
  ]);
  const role = input("text", { placeholder: "role name" });
  const identity = input("text", { placeholder: "e.g. google" });
  const createdAfter = input("datetime-local");
  const createdBefore = input("datetime-local");
  const signedInAfter = input("datetime-local");
  const sortField = select(sorts);
  const direction = select([
    [String(SortDirection.ASCENDING), "Ascending"],
    [String(SortDirection.DESCENDING), "Descending"],
  ]);
  const results = h("div", { class: "results" });
  const form = h(
    "form",
    { class: "card search", role: "search", "aria-label": "Search users" },
    errorSlot(),
    row(field("Search", query, "query"), field("Search in", textField, "field"), field("Match mode", mode, "mode")),
    row(
      field("Custom data path", customPath, "custom_data_path"),
      field("Case-sensitive", caseSensitive, "case_sensitive"),
    ),
    h(
      "details",
      {},
      h("summary", {}, "Filters and sort"),
      row(
        field("Status", suspended, "suspended"),
        field("Role", role, "has_role"),
        field("Identity", identity, "identity_target"),
      ),
      row(
        field("Created after", createdAfter, "create_time"),
        field("Created before", createdBefore),
        field("Signed in after", signedInAfter, "last_sign_in_time"),
      ),
      row(field("Sort by", sortField, "sort"), field("Order", direction)),
    ),
    h("button", { type: "submit" }, "Search"),
  );

  function filter(): UserFilter | undefined {
    const parts: UserFilter[] = [];
    const add = (f: MessageInitShape<typeof UserFilterSchema>["filter"]) =>
      parts.push(create(UserFilterSchema, { filter: f }));
    if (textField.value !== "" && query.value !== "") {
      add({
        case: "text",
        value: {
          field: Number(textField.value),
          customDataPath: customPath.value,
          value: query.value,
          mode: Number(mode.value),
          caseSensitive: caseSensitive.checked,
        },
      });
    }
    if (suspended.value !== "") add({ case: "suspended", value: suspended.value === "true" });
    if (role.value !== "") add({ case: "hasRole", value: { role: { case: "roleName", value: role.value } } });
    if (identity.value !== "") add({ case: "identityTarget", value: identity.value });
    const created = timeRange(createdAfter, createdBefore);
    if (created !== undefined) add({ case: "createTime", value: created });
    const signedIn = timeRange(signedInAfter, input("text"));
    if (signedIn !== undefined) add({ case: "lastSignInTime", value: signedIn });
    if (parts.length <= 1) return parts[0];
    return create(UserFilterSchema, { filter: { case: "and", value: { filters: parts } } });
  }

  // Page tokens of the pages before the current one, for "Previous".
  const previous: string[] = [];
  let current = "";
  let latest = 0;
  async function load(pageToken: string): Promise<void> {
    const mine = ++latest;
    await attempt(form, async () => {
      const response = await clients.users.searchUsers({
        query: textField.value === "" ? query.value : "",
        filter: filter(),
        sort: { field: Number(sortField.value), direction: Number(direction.value) },
        pageSize: 20,
        pageToken,
        // The screen shows how many users match, so it asks for the exact count.
        includeTotal: true,
      });
      // A slower, earlier search must not replace the answer to a later one.
      if (mine !== latest) return;
      current = pageToken;
      drawResults(response.users, response.totalSize, response.nextPageToken);
      announce(`${response.totalSize} users found`);
    });
  }

  function drawResults(users: User[], total: number, next: string): void {
    const rows = users.map((u) =>
      h(
        "tr",
        {},
        h("td", {}, h("a", { href: `#/users/${encodeURIComponent(u.id)}` }, u.username || u.id)),
        h("td", {}, u.name),
        h("td", {}, u.primaryEmail),
        h("td", {}, u.primaryPhone),
        h("td", {}, u.suspended ? "suspended" : "active"),
        h("td", {}, formatTime(u.createTime)),
      ),
    );
    results.replaceChildren(
      h("p", { class: "total", "data-total": total }, `${total} matching users`),
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...["Username", "Name", "Email", "Phone", "Status", "Created"].map((t) => h("th", { scope: "col" }, t)),
          ),
        ),
        h("tbody", {}, ...rows),
      ),
      h(
        "div",
        { class: "pager" },
        h(
          "button",
          { type: "button", disabled: previous.length === 0, onclick: () => void load(previous.pop() ?? "") },
          "Previous",
        ),
        h(
          "button",
          {
            type: "button",
            disabled: next === "",
            onclick: () => {
              previous.push(current);
              void load(next);
            },
          },
          "Next",
        ),
      ),
    );
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    previous.length = 0;
    void load("");
  });
  main.append(h("h1", {}, "Users"), form, results);
  query.focus();
  await load("");
}
