import { invalidField } from "@roster/runtime/domain-error";
import { PROTOTYPE_KEY } from "./custom-data.js";
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

/** How a text filter compares its value. */
export type TextMatchMode = "exact" | "prefix" | "contains" | "like" | "regex" | "similarity";

/** One text filter as a request gives it; an undefined field or mode is one the request left unset. */
export interface TextFilterInput {
  field: TextTarget["field"] | undefined;
  customDataPath: string;
  value: string;
  mode: TextMatchMode | undefined;
  caseSensitive: boolean;
  /** 0 means the default. */
  similarityThreshold: number;
}

/** The filter tree's size limits, `at` the path of the node that broke one. */
export function tooComplex(at: string, description: string): Error {
  return invalidField(at, description, "FILTER_TOO_COMPLEX");
}

/** Validates a custom-data path: dot-separated keys that could have been stored. */
export function customDataPathProblem(path: string): string | undefined {
  if (path.length === 0 || path.length > 256) return "must be 1-256 characters";
  const segments = path.split(".");
  if (segments.length > 8) return "must have at most 8 segments";
  if (segments.some((s) => s.length === 0 || s.startsWith("$") || s.length > 128)) {
    return "segments must be 1-128 characters, not empty and not starting with '$'";
  }
  // No custom data holds such a key, and the path would name the prototype in JavaScript code.
  if (segments.includes(PROTOTYPE_KEY)) return `segments must not be "${PROTOTYPE_KEY}"`;
  return undefined;
}

export function timeRangeNode(
  field: "createTime" | "updateTime" | "lastSignInTime",
  start: Date | undefined,
  end: Date | undefined,
  at: string,
): PlanNode {
  if (start === undefined && end === undefined) throw invalidField(at, "needs start_time, end_time or both");
  if (start !== undefined && end !== undefined && end <= start)
    throw invalidField(`${at}.end_time`, "must be after start_time");
  return { kind: "timeRange", field, start, end };
}

export function textNode(text: TextFilterInput, at: string): PlanNode {
  const field = text.field;
  if (field === undefined) throw invalidField(`${at}.field`, "is required");
  let target: TextTarget;
  if (field === "customData") {
    const problem = customDataPathProblem(text.customDataPath);
    if (problem !== undefined) throw invalidField(`${at}.custom_data_path`, problem);
    target = { field, path: text.customDataPath };
  } else {
    if (text.customDataPath !== "")
      throw invalidField(`${at}.custom_data_path`, "must be empty unless field is TEXT_FIELD_CUSTOM_DATA");
    target = { field };
  }
  const value = text.value;
  // A regex over the limit is a pattern refused as too long: regexProblem reports it as REGEX_REJECTED.
  const tooLong = value.length > filterLimits.maxValueLength && text.mode !== "regex";
  if (value.length === 0 || tooLong) throw invalidField(`${at}.value`, "must be 1-256 characters");
  if (value.includes("\0")) throw invalidField(`${at}.value`, "must not contain NUL");
  if (text.mode !== "similarity" && text.similarityThreshold !== 0) {
    throw invalidField(`${at}.similarity_threshold`, "is only allowed with TEXT_MATCH_MODE_SIMILARITY");
  }
  const caseSensitive = text.caseSensitive;
  const normalised = target.field === "phone" ? compactPhone(value) : value;
  switch (text.mode) {
    case "exact":
      return { kind: "match", target, match: "exact", value: normalised, caseSensitive };
    case "prefix":
      return { kind: "match", target, match: "prefix", value: normalised, caseSensitive };
    case "contains": {
      // Custom data and ids have no trigrams stored: those scan.
      const grams = target.field === "customData" || target.field === "id" ? [] : containedTrigrams(normalised);
      return {
        kind: "pattern",
        target,
        pattern: escapeRegex(normalised),
        caseSensitive,
        ...(grams.length > 0 && { grams }),
      };
    }
    case "like": {
      const problem = globProblem(value);
      if (problem !== undefined) throw invalidField(`${at}.value`, problem, "PATTERN_REJECTED");
      return { kind: "pattern", target, pattern: globToRegex(value), caseSensitive };
    }
    case "regex": {
      const problem = regexProblem(value);
      if (problem !== undefined) throw invalidField(`${at}.value`, problem, "REGEX_REJECTED");
      return { kind: "pattern", target, pattern: value, caseSensitive, regexAt: `${at}.value` };
    }
    case "similarity": {
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

/** A list filter's entries: 1-1000, each 1-`maxLength` characters; de-duplicated. */
export function listOf(values: string[], at: string, maxLength: number): string[] {
  if (values.length === 0 || values.length > filterLimits.maxListEntries)
    throw invalidField(at, "must have 1-1000 entries");
  values.forEach((v, i) => {
    if (v.length === 0 || v.length > maxLength) throw invalidField(`${at}[${i}]`, `must be 1-${maxLength} characters`);
  });
  return [...new Set(values)];
}

export function emailsNode(emails: string[], at: string): PlanNode {
  return { kind: "emails", emails: listOf(emails, at, 254).map(normaliseKey) };
}

/** A role by id or by name; `at` is the path of the one the request set. */
export function hasRoleNode(role: { by: "id" | "name"; value: string }, at: string): PlanNode {
  if (role.value.length === 0 || role.value.length > 64) throw invalidField(at, "must be 1-64 characters");
  return role.by === "id"
    ? { kind: "hasRole", roleId: role.value }
    : { kind: "hasRoleName", nameKey: normaliseKey(role.value) };
}

export function identityTargetNode(target: string, at: string): PlanNode {
  if (!identityTargetPattern.test(target)) throw invalidField(at, "must be 1-64 characters of a-z, 0-9, '.', '_', '-'");
  return { kind: "identityTarget", target };
}

/** Custom-data equality; `value` reads the compared JSON (it may throw naming `at.value`), undefined when the request has none. */
export function customDataEqualsNode(path: string, value: (() => JsonValue) | undefined, at: string): PlanNode {
  const problem = customDataPathProblem(path);
  if (problem !== undefined) throw invalidField(`${at}.path`, problem);
  if (value === undefined) throw invalidField(`${at}.value`, "is required");
  return { kind: "customDataEquals", path, value: value() };
}
