import { ObjectId } from "bson";
import { Edge, MAX, MIN, type IndexKey } from "./index-order.js";
import { bsonTypeName } from "./bson-values.js";
import { codePointRank, fromCodePointRank, TYPE_RANK, type ObjectIdLike } from "./sort-order.js";

/**
 * Index keys as strings whose code unit order (the engine's `<`) is the keys' order, after
 * mongod's KeyString: each component is a type tag and a payload that sorts as the value does,
 * so the B+ tree compares two flat strings instead of walking two arrays of values. A key is one
 * object, and mostly a one-byte string, which the garbage collector never scans.
 *
 * Component, ascending: the tag 1 + 3 × type rank (+ 0 for the start of the type's values, + 1 for
 * a value, + 2 for the end), then the payload:
 * - null: nothing; booleans: one unit, 0 or 1;
 * - numbers: 0 for NaN (below every number, as in an index), else 1 and the eight bytes of the
 *   double with the sign bit flipped (negative numbers: every bit), -0 as 0;
 * - dates: the eight bytes of their time, as a number's; ObjectIds: their twelve bytes;
 * - strings: their code units moved into UTF-8 order (`inUtf8Order`), units 0 and 1 written as
 *   1 1 and 1 2, then a 0 that ends the string.
 * A descending field's component has every unit u replaced by 0xFF − u, or by 0 and 0xFFFF − u
 * from 0xFF up: the order reversed, bytes still one unit each. MIN and MAX, the edges past a
 * key's bounded fields whatever their direction, are 0 and 0xFFFF. The position, last, is
 * its number of bytes and its bytes, most significant first. No component's encoding is a prefix
 * of another's, so comparing the strings compares the keys field by field.
 *
 * A key holding anything else (arrays, documents, longs, decimals, binary, …) has no encoding
 * and stays an array; `storedKeyComparator` then decodes the other side.
 */

const MIN_UNIT = 0;
const MAX_UNIT = 0xffff;
/** The ranks whose values have a payload here (and null, which needs none). */
const NULL_RANK = TYPE_RANK.null!;
const NUMBER_RANK = TYPE_RANK.double!;
const STRING_RANK = TYPE_RANK.string!;
const OBJECT_ID_RANK = TYPE_RANK.objectId!;
const BOOL_RANK = TYPE_RANK.bool!;
const DATE_RANK = TYPE_RANK.date!;
/** Ranks an edge may have (`typeRank` gives 1 to 14, 14 to types it does not list). */
const HIGHEST_RANK = 14;

const numberView = new DataView(new ArrayBuffer(8));
const objectIdBytes = new Uint8Array(12);

/**
 * Builds a key's code units; one per encoding, reused. The key is made from them in one piece, so
 * that it is a flat string: one joined from pieces (a cons string) costs V8 a call into its runtime
 * on every `<`, and the tree compares each key it stores about log2(entries) times.
 */
class Units {
  /** The key being built is the first `count` units (the array is trimmed to them when it is read). */
  readonly units: number[] = [];
  count = 0;
  flip = 0;

  reset(): void {
    this.count = 0;
  }

  push(unit: number): void {
    const { units } = this;
    if (this.flip === 0) units[this.count++] = unit;
    else if (unit < 0xff) units[this.count++] = 0xff - unit;
    else {
      units[this.count++] = 0;
      units[this.count++] = MAX_UNIT - unit;
    }
  }

  /** The eight bytes of a double, ordered as the numbers are. */
  pushDouble(value: number): void {
    numberView.setFloat64(0, value === 0 ? 0 : value);
    const negative = numberView.getUint8(0) >= 0x80;
    for (let i = 0; i < 8; i++) {
      const byte = numberView.getUint8(i);
      this.push(negative ? 0xff - byte : i === 0 ? byte ^ 0x80 : byte);
    }
  }

  toString(): string {
    const { units } = this;
    units.length = this.count;
    if (units.length <= 4096) return String.fromCharCode.apply(null, units);
    // Only keys of very long strings are joined from pieces.
    let out = "";
    for (let i = 0; i < units.length; i += 4096) out += String.fromCharCode.apply(null, units.slice(i, i + 4096));
    return out;
  }
}

const builder = new Units();
const tag = (rank: number, part: 0 | 1 | 2): number => 1 + 3 * rank + part;

/** Adds one component; false when its value has no encoding. */
function pushComponent(out: Units, value: unknown): boolean {
  if (value instanceof Edge) {
    if (value.rank < 1 || value.rank > HIGHEST_RANK) return false;
    out.push(tag(value.rank, value.side < 0 ? 0 : 2));
    return true;
  }
  if (value === null) {
    out.push(tag(NULL_RANK, 1));
    return true;
  }
  switch (typeof value) {
    case "string": {
      out.push(tag(STRING_RANK, 1));
      for (let i = 0; i < value.length; i++) {
        const unit = value.charCodeAt(i);
        if (unit > 1) out.push(codePointRank(unit));
        else {
          out.push(1);
          out.push(unit + 1);
        }
      }
      out.push(0);
      return true;
    }
    case "number":
      out.push(tag(NUMBER_RANK, 1));
      if (Number.isNaN(value)) out.push(0);
      else {
        out.push(1);
        out.pushDouble(value);
      }
      return true;
    case "boolean":
      out.push(tag(BOOL_RANK, 1));
      out.push(value ? 1 : 0);
      return true;
  }
  if (value instanceof Date) {
    const time = value.getTime();
    if (Number.isNaN(time)) return false;
    out.push(tag(DATE_RANK, 1));
    out.pushDouble(time);
    return true;
  }
  if (bsonTypeName(value) === "ObjectId") {
    (value as ObjectIdLike).serializeInto(objectIdBytes, 0);
    out.push(tag(OBJECT_ID_RANK, 1));
    for (let i = 0; i < 12; i++) out.push(objectIdBytes[i]!);
    return true;
  }
  return false;
}

/**
 * The string form of a key (its fields' values or edges, then a position or MIN or MAX) for an
 * index whose fields go in `directions`; undefined when some value has none.
 */
export function encodeKey(key: IndexKey, directions: readonly number[]): string | undefined {
  const out = builder;
  out.reset();
  for (let i = 0; i < directions.length; i++) {
    const value = key[i];
    if (value === MIN || value === MAX) {
      out.flip = 0;
      out.push(value === MIN ? MIN_UNIT : MAX_UNIT);
      continue;
    }
    out.flip = directions[i]! < 0 ? 1 : 0;
    if (!pushComponent(out, value)) return undefined;
  }
  out.flip = 0;
  const position = key[directions.length];
  if (position === MIN || position === MAX) out.push(position === MIN ? MIN_UNIT : MAX_UNIT);
  else if (typeof position === "number" && Number.isSafeInteger(position) && position >= 0) {
    let length = 1;
    while (length < 7 && position >= 256 ** length) length++;
    out.push(length);
    for (let i = length - 1; i >= 0; i--) out.push(Math.floor(position / 256 ** i) % 256);
  } else return undefined;
  return out.toString();
}

/** Reads a key back from its string form, for a comparison with a key that has none. */
export function decodeKey(encoded: string, directions: readonly number[]): IndexKey {
  let at = 0;
  let flip = 0;
  const next = (): number => {
    const unit = encoded.charCodeAt(at++);
    return flip === 0 ? unit : unit !== 0 ? 0xff - unit : MAX_UNIT - encoded.charCodeAt(at++);
  };
  const double = (): number => {
    const first = next();
    const negative = first < 0x80;
    numberView.setUint8(0, negative ? 0xff - first : first ^ 0x80);
    for (let i = 1; i < 8; i++) {
      const byte = next();
      numberView.setUint8(i, negative ? 0xff - byte : byte);
    }
    return numberView.getFloat64(0);
  };
  const key: IndexKey = [];
  for (let i = 0; i < directions.length; i++) {
    const raw = encoded.charCodeAt(at);
    if (raw === MIN_UNIT || raw === MAX_UNIT) {
      at++;
      key.push(raw === MIN_UNIT ? MIN : MAX);
      continue;
    }
    flip = directions[i]! < 0 ? 1 : 0;
    const unit = next() - 1;
    const rank = Math.floor(unit / 3);
    const part = unit % 3;
    if (part !== 1) {
      key.push(new Edge(rank, part === 0 ? -1 : 1));
      continue;
    }
    switch (rank) {
      case NULL_RANK:
        key.push(null);
        break;
      case NUMBER_RANK:
        key.push(next() === 0 ? Number.NaN : double());
        break;
      case BOOL_RANK:
        key.push(next() === 1);
        break;
      case DATE_RANK:
        key.push(new Date(double()));
        break;
      case OBJECT_ID_RANK: {
        const bytes = new Uint8Array(12);
        for (let b = 0; b < 12; b++) bytes[b] = next();
        key.push(new ObjectId(bytes));
        break;
      }
      case STRING_RANK: {
        let value = "";
        for (let unit = next(); unit !== 0; unit = next()) {
          const code = unit === 1 ? next() - 1 : unit;
          value += String.fromCharCode(fromCodePointRank(code));
        }
        key.push(value);
        break;
      }
      default:
        throw new Error(`index key: no value of type rank ${rank} is encoded`);
    }
  }
  const length = encoded.charCodeAt(at++);
  if (length === MIN_UNIT || length === MAX_UNIT) key.push(length === MIN_UNIT ? MIN : MAX);
  else {
    let position = 0;
    for (let i = 0; i < length; i++) position = position * 256 + encoded.charCodeAt(at++);
    key.push(position);
  }
  return key;
}

/** A key as the tree keeps it: its string form, or the key itself when it has none. */
export type StoredKey = string | IndexKey;

/** The stored form of a key. */
export const storedKey = (key: IndexKey, directions: readonly number[]): StoredKey => encodeKey(key, directions) ?? key;

/**
 * Orders stored keys: two string forms as strings; otherwise as keys, through `compare`, the
 * string side decoded first.
 */
export function storedKeyComparator(
  directions: readonly number[],
  compare: (a: IndexKey, b: IndexKey) => number,
): (a: StoredKey, b: StoredKey) => number {
  return (a, b) => {
    if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
    return compare(
      typeof a === "string" ? decodeKey(a, directions) : a,
      typeof b === "string" ? decodeKey(b, directions) : b,
    );
  };
}
