// Malformed request bodies for a message type, drawn from a seeded PRNG so a
// failing case can be replayed from its seed and index.
import { create, toBinary, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

export interface FuzzCase {
  kind: string;
  bytes: Uint8Array;
}

const wireTypes = [WireType.Varint, WireType.Bit64, WireType.LengthDelimited, WireType.Bit32];

function expectedWireType(field: DescField | undefined): WireType {
  if (field === undefined) return WireType.LengthDelimited;
  if (field.fieldKind === "message" || field.fieldKind === "map" || field.fieldKind === "list")
    return WireType.LengthDelimited;
  if (field.fieldKind === "scalar" && (field.scalar === 9 || field.scalar === 12)) return WireType.LengthDelimited;
  return WireType.Varint;
}

/** A google.protobuf.Struct nested `depth` levels ({"a": {"a": ...}}), built inside out without recursion. */
export function deepStruct(depth: number): Uint8Array {
  let inner: Uint8Array = new Uint8Array();
  for (let i = 0; i < depth; i++) {
    const value = new BinaryWriter().tag(5, WireType.LengthDelimited).bytes(inner).finish();
    const entry = new BinaryWriter()
      .tag(1, WireType.LengthDelimited)
      .string("a")
      .tag(2, WireType.LengthDelimited)
      .bytes(value)
      .finish();
    inner = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(entry).finish();
  }
  return inner;
}

/** A request with every string field of the top level set, encoded. */
function plausible(schema: DescMessage, random: () => number): Uint8Array {
  const init: Record<string, unknown> = {};
  for (const field of schema.fields) {
    if (field.fieldKind === "scalar" && field.scalar === 9 && field.oneof === undefined)
      init[field.localName] = `f${Math.floor(random() * 1e9)}`;
  }
  return toBinary(schema, create(schema, init));
}

/** `count` malformed or hostile encodings of `schema`. */
export function fuzzCases(schema: DescMessage, random: () => number, count: number): FuzzCase[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  // A message without fields still gets field 1, which it does not know.
  const someField = () => (schema.fields.length === 0 ? undefined : pick(schema.fields));
  const numberOf = (field: DescField | undefined) => field?.number ?? 1;
  const nameOf = (field: DescField | undefined) => field?.name ?? "field 1";
  const makers: (() => FuzzCase)[] = [
    () => ({
      kind: "random bytes",
      bytes: Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)),
    }),
    () => {
      const whole = plausible(schema, random);
      return { kind: "truncated", bytes: whole.subarray(0, Math.max(0, whole.length - 1 - Math.floor(random() * 4))) };
    },
    () => {
      const field = someField();
      const wrong = pick(wireTypes.filter((w) => w !== expectedWireType(field)));
      const writer = new BinaryWriter().tag(numberOf(field), wrong);
      if (wrong === WireType.Varint) writer.uint64(2n ** 63n);
      else if (wrong === WireType.Bit64) writer.fixed64(1n);
      else if (wrong === WireType.Bit32) writer.fixed32(1);
      else writer.bytes(new Uint8Array([0xff, 0x01]));
      return { kind: `wrong wire type for ${nameOf(field)}`, bytes: writer.finish() };
    },
    () => {
      const field = someField();
      return {
        kind: `oversized ${nameOf(field)}`,
        bytes: new BinaryWriter().tag(numberOf(field), WireType.LengthDelimited).string("x".repeat(100_000)).finish(),
      };
    },
    () => {
      const field = someField();
      return {
        kind: `invalid UTF-8 in ${nameOf(field)}`,
        bytes: new BinaryWriter()
          .tag(numberOf(field), WireType.LengthDelimited)
          .bytes(new Uint8Array([0x61, 0xc3, 0x28, 0xff]))
          .finish(),
      };
    },
    () => {
      const field = someField();
      return {
        kind: `deep Struct in ${nameOf(field)}`,
        bytes: new BinaryWriter()
          .tag(numberOf(field), WireType.LengthDelimited)
          .bytes(deepStruct(pick([101, 1000])))
          .finish(),
      };
    },
  ];
  return Array.from({ length: count }, (_, i) => (makers[i % makers.length] as () => FuzzCase)());
}

/** `count` hostile Connect JSON bodies for `schema`: unknown keys, wrong types, deep nesting, broken text. */
export function jsonFuzzCases(schema: DescMessage, random: () => number, count: number): FuzzCase[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const key = () => (schema.fields.length === 0 ? "field1" : pick(schema.fields).jsonName);
  const text = (value: string) => new TextEncoder().encode(value);
  const deep = (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
  const makers: (() => FuzzCase)[] = [
    () => ({ kind: "unknown key", bytes: text(JSON.stringify({ [`x${Math.floor(random() * 1e6)}`]: 1 })) }),
    () => {
      const name = key();
      return {
        kind: `wrong type for ${name}`,
        bytes: text(JSON.stringify({ [name]: pick([[1, 2], { nested: true }, 1.5, "text", true]) })),
      };
    },
    () => {
      const name = key();
      return { kind: `deep object in ${name}`, bytes: text(`{"${name}":${deep(pick([101, 5000]))}}`) };
    },
    () => ({ kind: "truncated JSON", bytes: text(`{"${key()}": "abc`) }),
    () => ({
      kind: "invalid UTF-8",
      bytes: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
    }),
    () => ({ kind: "not an object", bytes: text(pick(["[]", "null", "42", '"s"'])) }),
  ];
  return Array.from({ length: count }, (_, i) => (makers[i % makers.length] as () => FuzzCase)());
}
