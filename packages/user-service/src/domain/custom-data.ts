import { invalidField } from "@roster/runtime/domain-error";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonRecord = { [key: string]: JsonValue };

export interface CustomDataLimits {
  maxBytes: number;
  maxDepth: number;
}

function isRecord(value: JsonValue | undefined): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function depthOf(value: JsonValue): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (isRecord(value)) return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

/**
 * The one key JavaScript assignment treats apart: copied onto an object by assignment (as a merge
 * does), it sets the object's prototype, so the entry vanishes and the object inherits whatever it
 * held. JSON, protobuf and BSON decoders keep it as a key, so it arrives as one.
 */
export const PROTOTYPE_KEY = "__proto__";

function badKey(value: JsonValue): string | undefined {
  const values = Array.isArray(value) ? value : isRecord(value) ? Object.values(value) : [];
  if (isRecord(value)) {
    for (const key of Object.keys(value)) {
      // `$` and `.` would collide with MongoDB operators and dot paths in search filters.
      if (key.length === 0 || key.length > 128 || key.startsWith("$") || key.includes(".")) return key;
    }
  }
  for (const child of values) {
    const found = badKey(child);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Refuses what no free-form value (a Struct as JSON, or a google.protobuf.Value message) may hold
 * at any depth: NaN and ±Infinity, which the binary encoding carries but JSON cannot, so stored they
 * would break every JSON answer that shows them; and a `PROTOTYPE_KEY` key. Walks without
 * recursion, so no nesting depth overflows it.
 */
export function checkFreeForm(value: unknown, field: string): void {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === "number" && !Number.isFinite(next)) {
      throw invalidField(field, "must not hold NaN, Infinity or -Infinity", "NON_FINITE_NUMBER");
    }
    if (typeof next !== "object" || next === null) continue;
    if (Object.hasOwn(next, PROTOTYPE_KEY)) {
      throw invalidField(
        field,
        `key "${PROTOTYPE_KEY}" is not allowed: JavaScript code copying the data would set a prototype`,
      );
    }
    for (const child of Object.values(next)) pending.push(child);
  }
}

/**
 * Refuses free-form data over the size/depth caps, with keys that are not addressable by a dot
 * path, or with a `__proto__` key.
 */
export function checkCustomData(data: JsonRecord, limits: CustomDataLimits, field: string): void {
  const reason = "CUSTOM_DATA_TOO_LARGE";
  checkFreeForm(data, field);
  const key = badKey(data);
  if (key !== undefined) {
    throw invalidField(field, `key "${key.slice(0, 40)}" must be 1-128 characters, not start with $ and contain no .`);
  }
  if (Buffer.byteLength(JSON.stringify(data)) > limits.maxBytes) {
    throw invalidField(field, `must be at most ${limits.maxBytes} bytes as JSON`, reason);
  }
  if (depthOf(data) > limits.maxDepth) {
    throw invalidField(field, `must nest at most ${limits.maxDepth} levels`, reason);
  }
}

/** JSON Merge Patch (RFC 7386): null deletes, objects merge recursively, anything else replaces. */
export function mergePatch(target: JsonRecord, patch: JsonRecord): JsonRecord {
  const result: JsonRecord = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else if (isRecord(value)) {
      const current = result[key];
      result[key] = mergePatch(isRecord(current) ? current : {}, value);
    } else {
      result[key] = value;
    }
  }
  return result;
}
