import { create, fromBinary } from "@bufbuild/protobuf";
import { AnySchema, anyUnpack } from "@bufbuild/protobuf/wkt";
import { BadRequestSchema, ErrorInfoSchema, StatusSchema } from "@roster/client";
import type { grpc } from "./plain-grpc.js";

/** A failure with everything its details carry, ErrorInfo metadata included. */
export interface DetailedFailure {
  code: grpc.status;
  reason?: string;
  metadata: Record<string, string>;
  fields: string[];
}

/** An `Any` as @grpc/proto-loader hands it over: its wrapper keeps the snake-case `type_url`. */
export interface PlainAny {
  type_url?: string;
  typeUrl?: string;
  value: Uint8Array;
}

/** Reads ErrorInfo (reason, metadata) and BadRequest field names out of status details. */
export function decodeDetails(details: PlainAny[]): Omit<DetailedFailure, "code"> {
  const result: Omit<DetailedFailure, "code"> = { metadata: {}, fields: [] };
  for (const detail of details) {
    const any = create(AnySchema, {
      typeUrl: detail.typeUrl ?? detail.type_url ?? "",
      value: new Uint8Array(detail.value),
    });
    const info = anyUnpack(any, ErrorInfoSchema);
    if (info !== undefined) Object.assign(result, { reason: info.reason, metadata: { ...info.metadata } });
    const bad = anyUnpack(any, BadRequestSchema);
    if (bad !== undefined) result.fields.push(...bad.fieldViolations.map((v) => v.field));
  }
  return result;
}

/** Runs a call that must fail and decodes its google.rpc.Status trailer in full. */
export async function detailedFailureOf(fn: () => Promise<unknown>): Promise<DetailedFailure> {
  try {
    await fn();
  } catch (err) {
    const error = err as grpc.ServiceError;
    const raw = error.metadata?.get("grpc-status-details-bin")[0];
    const details = raw instanceof Buffer ? fromBinary(StatusSchema, raw).details : [];
    return { code: error.code, ...decodeDetails(details) };
  }
  throw new Error("expected the call to fail");
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function valueOf(json: Json): object {
  if (json === null) return { nullValue: "NULL_VALUE" };
  if (typeof json === "boolean") return { boolValue: json };
  if (typeof json === "number") return { numberValue: json };
  if (typeof json === "string") return { stringValue: json };
  if (Array.isArray(json)) return { listValue: { values: json.map(valueOf) } };
  return { structValue: struct(json) };
}

/** A JSON object in the shape a plain gRPC client sends as google.protobuf.Struct. */
export function struct(json: { [key: string]: Json }): { fields: Record<string, object> } {
  return { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, valueOf(v)])) };
}

/** An object nested `depth` levels deep, as custom data counts depth. */
export function nested(depth: number): { [key: string]: Json } {
  let value: { [key: string]: Json } = { leaf: 1 };
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

interface PlainValue {
  kind?: string;
  nullValue?: string;
  boolValue?: boolean;
  numberValue?: number;
  stringValue?: string;
  listValue?: { values: PlainValue[] };
  structValue?: PlainStruct;
}

/** google.protobuf.Struct as a plain gRPC client receives it. */
export interface PlainStruct {
  fields: Record<string, PlainValue>;
}

function jsonOfValue(value: PlainValue): Json {
  switch (value.kind) {
    case "boolValue":
      return value.boolValue ?? false;
    case "numberValue":
      return value.numberValue ?? 0;
    case "stringValue":
      return value.stringValue ?? "";
    case "listValue":
      return (value.listValue?.values ?? []).map(jsonOfValue);
    case "structValue":
      return jsonOf(value.structValue);
    default:
      return null;
  }
}

/** The JSON object a received Struct stands for. */
export function jsonOf(value: PlainStruct | null | undefined): { [key: string]: Json } {
  return Object.fromEntries(Object.entries(value?.fields ?? {}).map(([k, v]) => [k, jsonOfValue(v)]));
}
