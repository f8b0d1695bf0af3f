import { toJson } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { TextField, TextMatchMode, type TextFilter, type TimeRange, type UserFilter } from "@roster/client/contract";
import { invalidField } from "@roster/runtime/domain-error";
import { optionalDate } from "@roster/runtime/proto-time";
import { checkFinite } from "./custom-data.js";
import type { JsonValue, PlanNode, TextTarget } from "./search-plan.js";
import { escapeRegex, globProblem, globToRegex, regexProblem } from "./search-regex.js";
import { containedTrigrams, rarestFirst, trigramsOf } from "./trigrams.js";

/** Limits from query.proto: the whole tree, its depth, and each list. */
export const filterLimits = { maxFilters: 50, maxDepth: 5, maxChildren: 20, maxListEntries: 1000, maxValueLength: 256 };
const defaultSimilarityThreshold = 0.3;
const identityTargetPattern = /^[a-z0-9._-]{1,64}$/;

/** Lower-cases like the stored `*Key` fields, so indexed comparisons line up. */
export function normaliseKey(value: string): string {
  return value.toLowerCase();
}

/** Drops the formatting people type into phone numbers; stored phones are E.164. */
export function compactPhone(value: string): string {
  return value.replace(/[\s().-]/g, "");
}

function tooComplex(field: string, description: string): Error {
  return invalidField(field, description, "FILTER_TOO_COMPLEX");
}

/** Validates a custom-data path: dot-separated keys that could have been stored. */
export function customDataPathProblem(path: string): string | undefined {
  if (path.length === 0 || path.length > 256) return "must be 1-256 characters";
  const segments = path.split(".");
  if (segments.length > 8) return "must have at most 8 segments";
  if (segments.some((s) => s.length === 0 || s.startsWith("$") || s.length > 128)) {
    return "segments must be 1-128 characters, not empty and not starting with '$'";
  }
  return undefined;
}

/** A filter's google.protobuf.Value as JSON: finite numbers only, and a kind set at every level. */
function jsonOfValue(value: Value, field: string): JsonValue {
  checkFinite(value, field);
  try {
    return toJson(ValueSchema, value) as JsonValue;
  } catch {
    throw invalidField(field, "must have a kind set at every level");
  }
}

function timeRangeNode(field: "createTime" | "updateTime" | "lastSignInTime", range: TimeRange, at: string): PlanNode {
  const start = optionalDate(range.startTime, `${at}.start_time`);
  const end = optionalDate(range.endTime, `${at}.end_time`);
  if (start === undefined && end === undefined) throw invalidField(at, "needs start_time, end_time or both");
  if (start !== undefined && end !== undefined && end <= start) throw invalidField(`${at}.end_time`, "must be after start_time");
  return { kind: "timeRange", field, start, end };
}

const textTargets: Partial<Record<TextField, TextTarget["field"]>> = {
  [TextField.ID]: "id",
  [TextField.USERNAME]: "username",
  [TextField.EMAIL]: "email",
  [TextField.PHONE]: "phone",
  [TextField.NAME]: "name",
  [TextField.CUSTOM_DATA]: "customData",
};

function textNode(text: TextFilter, at: string): PlanNode {
  const field = textTargets[text.field];
  if (field === undefined) throw invalidField(`${at}.field`, "is required");
  let target: TextTarget;
  if (field === "customData") {
    const problem = customDataPathProblem(text.customDataPath);
    if (problem !== undefined) throw invalidField(`${at}.custom_data_path`, problem);
    target = { field, path: text.customDataPath };
  } else {
    if (text.customDataPath !== "") throw invalidField(`${at}.custom_data_path`, "must be empty unless field is TEXT_FIELD_CUSTOM_DATA");
    target = { field };
  }
  const value = text.value;
  // A regex over the limit is a pattern refused as too long: regexProblem reports it as REGEX_REJECTED.
  const tooLong = value.length > filterLimits.maxValueLength && text.mode !== TextMatchMode.REGEX;
  if (value.length === 0 || tooLong) throw invalidField(`${at}.value`, "must be 1-256 characters");
  if (value.includes("\0")) throw invalidField(`${at}.value`, "must not contain NUL");
  if (text.mode !== TextMatchMode.SIMILARITY && text.similarityThreshold !== 0) {
    throw invalidField(`${at}.similarity_threshold`, "is only allowed with TEXT_MATCH_MODE_SIMILARITY");
  }
  const caseSensitive = text.caseSensitive;
  const normalised = target.field === "phone" ? compactPhone(value) : value;
  switch (text.mode) {
    case TextMatchMode.EXACT:
      return { kind: "match", target, match: "exact", value: normalised, caseSensitive };
    case TextMatchMode.PREFIX:
      return { kind: "match", target, match: "prefix", value: normalised, caseSensitive };
    case TextMatchMode.CONTAINS: {
      // Custom data and ids have no trigrams stored: those scan.
      const grams = target.field === "customData" || target.field === "id" ? [] : containedTrigrams(normalised);
      return { kind: "pattern", target, pattern: escapeRegex(normalised), caseSensitive, ...(grams.length > 0 && { grams }) };
    }
    case TextMatchMode.LIKE: {
      const problem = globProblem(value);
      if (problem !== undefined) throw invalidField(`${at}.value`, problem, "PATTERN_REJECTED");
      return { kind: "pattern", target, pattern: globToRegex(value), caseSensitive };
    }
    case TextMatchMode.REGEX: {
      const problem = regexProblem(value);
      if (problem !== undefined) throw invalidField(`${at}.value`, problem, "REGEX_REJECTED");
      return { kind: "pattern", target, pattern: value, caseSensitive, regexAt: `${at}.value` };
    }
    case TextMatchMode.SIMILARITY: {
      if (target.field === "id" || target.field === "customData") {
        throw invalidField(`${at}.mode`, "similarity works on username, email, phone and name");
      }
      if (caseSensitive) throw invalidField(`${at}.case_sensitive`, "similarity compares case-insensitively");
      const threshold = text.similarityThreshold === 0 ? defaultSimilarityThreshold : text.similarityThreshold;
      if (!(threshold > 0 && threshold <= 1)) throw invalidField(`${at}.similarity_threshold`, "must be in (0, 1]");
      const grams = trigramsOf([value]);
      if (grams.length === 0) throw invalidField(`${at}.value`, "needs letters or digits to compare");
      // similarity = shared / union >= threshold, and union >= |grams|, so a match shares at least this many.
      const minShared = Math.max(1, Math.ceil(threshold * grams.length - 1e-9));
      const probe = rarestFirst(grams).slice(0, grams.length - minShared + 1);
      return { kind: "similarity", field: target.field, value, threshold, grams, minShared, probe };
    }
    default:
      throw invalidField(`${at}.mode`, "is required");
  }
}

function listOf(values: string[], at: string, maxLength: number): string[] {
  if (values.length === 0 || values.length > filterLimits.maxListEntries) throw invalidField(at, "must have 1-1000 entries");
  values.forEach((v, i) => {
    if (v.length === 0 || v.length > maxLength) throw invalidField(`${at}[${i}]`, `must be 1-${maxLength} characters`);
  });
  return [...new Set(values)];
}

/** Walks a filter tree, enforcing the size and depth limits, into a plan node. */
export function planFilter(filter: UserFilter, at = "filter"): PlanNode {
  let count = 0;
  const visit = (node: UserFilter, path: string, depth: number): PlanNode => {
    if (++count > filterLimits.maxFilters) throw tooComplex(path, `the filter tree holds more than ${filterLimits.maxFilters} filters`);
    if (depth > filterLimits.maxDepth) throw tooComplex(path, `filters nest more than ${filterLimits.maxDepth} levels deep`);
    const f = node.filter;
    const here = (name: string) => `${path}.${name}`;
    switch (f.case) {
      case "text":
        return textNode(f.value, here("text"));
      case "ids":
        return { kind: "ids", ids: listOf(f.value.ids, here("ids.ids"), 64) };
      case "emails":
        return { kind: "emails", emails: listOf(f.value.emails, here("emails.emails"), 254).map(normaliseKey) };
      case "suspended":
        return { kind: "flag", flag: "suspended", value: f.value };
      case "hasPassword":
        return { kind: "flag", flag: "hasPassword", value: f.value };
      case "hasRole": {
        const role = f.value.role;
        if (role.case === "roleId" && role.value.length > 0 && role.value.length <= 64) return { kind: "hasRole", roleId: role.value };
        if (role.case === "roleName" && role.value.length > 0 && role.value.length <= 64) {
          return { kind: "hasRoleName", nameKey: normaliseKey(role.value) };
        }
        const field = role.case === "roleName" ? "role_name" : "role_id";
        throw invalidField(here(`has_role.${field}`), "must be 1-64 characters");
      }
      case "identityTarget": {
        if (!identityTargetPattern.test(f.value)) throw invalidField(here("identity_target"), "must be 1-64 characters of a-z, 0-9, '.', '_', '-'");
        return { kind: "identityTarget", target: f.value };
      }
      case "createTime":
        return timeRangeNode("createTime", f.value, here("create_time"));
      case "updateTime":
        return timeRangeNode("updateTime", f.value, here("update_time"));
      case "lastSignInTime":
        return timeRangeNode("lastSignInTime", f.value, here("last_sign_in_time"));
      case "customDataEquals": {
        const problem = customDataPathProblem(f.value.path);
        if (problem !== undefined) throw invalidField(here("custom_data_equals.path"), problem);
        if (f.value.value === undefined) throw invalidField(here("custom_data_equals.value"), "is required");
        return { kind: "customDataEquals", path: f.value.path, value: jsonOfValue(f.value.value, here("custom_data_equals.value")) };
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
