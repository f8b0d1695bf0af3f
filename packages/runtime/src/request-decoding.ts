import {
  createRegistry,
  fromJson,
  type DescField,
  type DescMessage,
  type DescMethod,
  type JsonValue,
} from "@bufbuild/protobuf";
import { Code, type ConnectError } from "@connectrpc/connect";
import { file_google_rpc_error_details, file_google_rpc_status } from "@roster/client";
import { statusError } from "./error-mapping.js";

/** Every detail type the services send, so Connect JSON can write and read them inside an Any (ImportUsers item errors). */
export const detailRegistry = createRegistry(file_google_rpc_status, file_google_rpc_error_details);

/** A request that is not a valid encoding of its message: the same answer on every port and protocol. */
export function malformedRequest(description: string, field?: string): ConnectError {
  const violations = field === undefined ? [] : [{ field, description }];
  return statusError(
    Code.InvalidArgument,
    "MALFORMED_REQUEST",
    field === undefined ? description : `${field}: ${description}`,
    violations,
  );
}

function enumProblem(field: DescField, value: JsonValue): string | undefined {
  const desc =
    field.fieldKind === "enum" || (field.fieldKind !== "scalar" && field.fieldKind !== "message" && "enum" in field)
      ? field.enum
      : undefined;
  if (desc === undefined || desc.typeName === "google.protobuf.NullValue") return undefined;
  if (typeof value === "number" && Number.isInteger(value)) return undefined;
  if (typeof value === "string" && desc.values.some((v) => v.name === value)) return undefined;
  return `${JSON.stringify(value).slice(0, 64)} is not a ${desc.typeName} name`;
}

// protobuf-es refuses messages nested deeper than this; the walk stops there too rather than overflow the stack.
const maxDepth = 100;

/** The first unknown key or unknown enum name in a JSON request, with its path in proto field names. */
function unknownInJson(
  desc: DescMessage,
  json: JsonValue,
  path: string,
  depth = 0,
): { field: string; description: string } | undefined {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  if (depth > maxDepth) return { field: path.slice(0, 256), description: `nests more than ${maxDepth} messages deep` };
  for (const [key, value] of Object.entries(json)) {
    const field = desc.fields.find((f) => f.jsonName === key || f.name === key);
    const at = path === "" ? (field?.name ?? key) : `${path}.${field?.name ?? key}`;
    if (field === undefined) return { field: at.slice(0, 256), description: "is not a field of the request" };
    if (value === null) continue;
    const items: [JsonValue, string][] =
      field.fieldKind === "list" && Array.isArray(value)
        ? value.map((v, i) => [v, `${at}[${i}]`])
        : field.fieldKind === "map" && typeof value === "object" && !Array.isArray(value)
          ? Object.entries(value).map(([k, v]) => [v, `${at}[${JSON.stringify(k)}]`])
          : [[value, at]];
    const kind =
      field.fieldKind === "list" ? field.listKind : field.fieldKind === "map" ? field.mapKind : field.fieldKind;
    for (const [item, itemPath] of items) {
      if (kind === "enum") {
        const problem = enumProblem(field, item);
        if (problem !== undefined) return { field: itemPath, description: problem };
      } else if (
        kind === "message" &&
        field.message !== undefined &&
        !field.message.typeName.startsWith("google.protobuf.")
      ) {
        const found = unknownInJson(field.message, item, itemPath, depth + 1);
        if (found !== undefined) return found;
      }
    }
  }
  return undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Per-method JSON options for connect-node: unknown fields and enum names are
 * refused as MALFORMED_REQUEST naming the field, as is any other JSON the
 * request message cannot take. Connect's JSON parse calls the text decoder
 * inside its error handling and passes a ConnectError through unchanged.
 */
export function strictJsonOptions(method: DescMethod) {
  const input = method.input;
  const textDecoder = {
    decode(data: Uint8Array): string {
      let json: JsonValue;
      try {
        json = JSON.parse(utf8.decode(data)) as JsonValue;
      } catch {
        throw malformedRequest("the body is not UTF-8 JSON");
      }
      const unknown = unknownInJson(input, json, "");
      if (unknown !== undefined) throw malformedRequest(unknown.description, unknown.field);
      try {
        fromJson(input, json, { registry: detailRegistry });
      } catch (err) {
        const cause = (err as Error).cause as { field?: () => { name: string } } | undefined;
        throw malformedRequest(
          (err as Error).message.slice(0, 256),
          typeof cause?.field === "function" ? cause.field().name : undefined,
        );
      }
      return JSON.stringify(json);
    },
  };
  return { ignoreUnknownFields: false, registry: detailRegistry, textDecoder };
}
