import { toJson } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import {
  SortDirection,
  TextField,
  TextMatchMode,
  UserSortField,
  type SearchUsersRequest,
  type TextFilter,
  type TimeRange,
  type UserFilter,
} from "@roster/client";
import { invalidField } from "@roster/runtime/domain-error";
import { optionalDate } from "@roster/runtime/proto-time";
import { checkFreeForm } from "../domain/custom-data.js";
import type { SearchInput } from "../domain/search.js";
import {
  customDataEqualsNode,
  emailsNode,
  filterLimits,
  hasRoleNode,
  identityTargetNode,
  listOf,
  textNode,
  timeRangeNode,
  tooComplex,
  type TextFilterInput,
  type TextMatchMode as MatchMode,
} from "../domain/search-filter.js";
import type { JsonValue, PlanNode, SortField } from "../domain/search-plan.js";

const sortFields: Record<UserSortField, SortField | "relevance" | undefined> = {
  [UserSortField.UNSPECIFIED]: undefined,
  [UserSortField.CREATE_TIME]: "createTime",
  [UserSortField.UPDATE_TIME]: "updateTime",
  [UserSortField.LAST_SIGN_IN_TIME]: "lastSignInTime",
  [UserSortField.USERNAME]: "username",
  [UserSortField.NAME]: "name",
  [UserSortField.RELEVANCE]: "relevance",
};

const textFields: Partial<Record<TextField, TextFilterInput["field"]>> = {
  [TextField.ID]: "id",
  [TextField.USERNAME]: "username",
  [TextField.EMAIL]: "email",
  [TextField.PHONE]: "phone",
  [TextField.NAME]: "name",
  [TextField.CUSTOM_DATA]: "customData",
};

const matchModes: Partial<Record<TextMatchMode, MatchMode>> = {
  [TextMatchMode.EXACT]: "exact",
  [TextMatchMode.PREFIX]: "prefix",
  [TextMatchMode.CONTAINS]: "contains",
  [TextMatchMode.LIKE]: "like",
  [TextMatchMode.REGEX]: "regex",
  [TextMatchMode.SIMILARITY]: "similarity",
};

/** A filter's google.protobuf.Value as JSON: finite numbers only, no `__proto__` key, and a kind set at every level. */
function jsonOfValue(value: Value, field: string): JsonValue {
  checkFreeForm(value, field);
  try {
    return toJson(ValueSchema, value) as JsonValue;
  } catch {
    throw invalidField(field, "must have a kind set at every level");
  }
}

function textInputOf(text: TextFilter): TextFilterInput {
  return {
    field: textFields[text.field],
    customDataPath: text.customDataPath,
    value: text.value,
    mode: matchModes[text.mode],
    caseSensitive: text.caseSensitive,
    similarityThreshold: text.similarityThreshold,
  };
}

function timeRangeOf(field: "createTime" | "updateTime" | "lastSignInTime", range: TimeRange, at: string): PlanNode {
  return timeRangeNode(
    field,
    optionalDate(range.startTime, `${at}.start_time`),
    optionalDate(range.endTime, `${at}.end_time`),
    at,
  );
}

/** Walks a UserFilter message, enforcing the tree's size and depth limits, into the domain's filter tree. */
export function filterOf(filter: UserFilter, at = "filter"): PlanNode {
  let count = 0;
  const visit = (node: UserFilter, path: string, depth: number): PlanNode => {
    if (++count > filterLimits.maxFilters)
      throw tooComplex(path, `the filter tree holds more than ${filterLimits.maxFilters} filters`);
    if (depth > filterLimits.maxDepth)
      throw tooComplex(path, `filters nest more than ${filterLimits.maxDepth} levels deep`);
    const f = node.filter;
    const here = (name: string) => `${path}.${name}`;
    switch (f.case) {
      case "text":
        return textNode(textInputOf(f.value), here("text"));
      case "ids":
        return { kind: "ids", ids: listOf(f.value.ids, here("ids.ids"), 64) };
      case "emails":
        return emailsNode(f.value.emails, here("emails.emails"));
      case "suspended":
        return { kind: "flag", flag: "suspended", value: f.value };
      case "hasPassword":
        return { kind: "flag", flag: "hasPassword", value: f.value };
      case "hasRole": {
        const by = f.value.role.case === "roleName" ? "name" : "id";
        return hasRoleNode(
          { by, value: f.value.role.value ?? "" },
          here(`has_role.${by === "name" ? "role_name" : "role_id"}`),
        );
      }
      case "identityTarget":
        return identityTargetNode(f.value, here("identity_target"));
      case "createTime":
        return timeRangeOf("createTime", f.value, here("create_time"));
      case "updateTime":
        return timeRangeOf("updateTime", f.value, here("update_time"));
      case "lastSignInTime":
        return timeRangeOf("lastSignInTime", f.value, here("last_sign_in_time"));
      case "customDataEquals": {
        const { path: dataPath, value } = f.value;
        const at = here("custom_data_equals");
        return customDataEqualsNode(
          dataPath,
          value === undefined ? undefined : () => jsonOfValue(value, `${at}.value`),
          at,
        );
      }
      case "and":
      case "or": {
        const children = f.value.filters;
        const listPath = here(`${f.case}.filters`);
        if (children.length === 0 || children.length > filterLimits.maxChildren) {
          throw invalidField(listPath, `must have 1-${filterLimits.maxChildren} filters`);
        }
        return { kind: f.case, children: children.map((c, i) => visit(c, `${listPath}[${i}]`, depth + 1)) };
      }
      case "not": {
        if (f.value.filter === undefined) throw invalidField(here("not.filter"), "is required");
        return { kind: "not", child: visit(f.value.filter, here("not.filter"), depth + 1) };
      }
      default:
        throw invalidField(path, "must set one kind of filter");
    }
  };
  return visit(filter, at, 1);
}

/** Translates a SearchUsers request into the domain's search input; enums it does not know are named as bad fields. */
export function searchInputOf(request: SearchUsersRequest): SearchInput {
  const filter = request.filter === undefined ? undefined : filterOf(request.filter);
  const requested = request.sort?.field ?? UserSortField.UNSPECIFIED;
  if (!(requested in sortFields)) throw invalidField("sort.field", "is not a known sort field");
  const direction = request.sort?.direction ?? SortDirection.UNSPECIFIED;
  if (!Object.values(SortDirection).includes(direction))
    throw invalidField("sort.direction", "is not a known direction");
  return {
    query: request.query,
    filter,
    sort: {
      field: sortFields[requested],
      direction:
        direction === SortDirection.ASCENDING
          ? "ascending"
          : direction === SortDirection.DESCENDING
            ? "descending"
            : undefined,
    },
    pageSize: request.pageSize,
    pageToken: request.pageToken,
    includeTotal: request.includeTotal,
  };
}
