import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import type { Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { SearchUsersResponseSchema, UserSchema } from "@roster/client";

type ResponseInit = MessageInitShape<typeof SearchUsersResponseSchema>;
type UserInit = MessageInitShape<typeof UserSchema>;

/**
 * SearchUsersResponse as protobuf binary, byte for byte what protobuf-es's
 * `toBinary(create(…))` gives, without its reflection: a page's users are
 * written straight into one buffer. A user this does not write itself (custom
 * data, identities, profile claims, unusual times, unknown fields) is written
 * by protobuf-es and embedded, which gives the same bytes.
 */
export function encodeSearchUsersResponse(value: unknown): Uint8Array {
  const response = value as ResponseInit;
  const total = response.totalSize ?? 0;
  if (hasUnknown(response) || !Number.isInteger(total) || total < -(2 ** 31) || total >= 2 ** 31)
    return toBinary(SearchUsersResponseSchema, create(SearchUsersResponseSchema, response));
  const out = new Writer();
  for (const user of response.users ?? []) {
    out.tag(1, lengthDelimited);
    if (isPlainUser(user)) {
      const at = out.reserveLength();
      writePlainUser(out, user);
      out.fillLength(at);
    } else out.bytes(toBinary(UserSchema, create(UserSchema, user)));
  }
  if (response.nextPageToken) out.tag(2, lengthDelimited).string(response.nextPageToken);
  if (total !== 0) out.tag(3, varint).int32(total);
  if (response.totalSizeExact) out.tag(4, varint).varint(1);
  const scores = response.relevanceScores ?? [];
  if (scores.length > 0) {
    out.tag(5, lengthDelimited).varint(scores.length * 8);
    for (const score of scores) out.double(score);
  }
  return out.finish();
}

const varint = 0;
const lengthDelimited = 2;
const timeFields = [
  [14, "createTime"],
  [15, "updateTime"],
  [16, "lastSignInTime"],
  [17, "lockExpireTime"],
] as const;

/** A user with no profile claims, custom data or identities, its times from 1970 on, nothing unknown. */
function isPlainUser(user: UserInit): boolean {
  return (
    isEmpty(user.profile) &&
    (user.customData === undefined || Object.keys(user.customData).length === 0) &&
    (user.identities === undefined || user.identities.length === 0) &&
    !hasUnknown(user) &&
    timeFields.every(([, key]) => isPlainTime(user[key]))
  );
}

/** The fields in field-number order, each only when set, as protobuf-es writes them. */
function writePlainUser(out: Writer, user: UserInit): void {
  if (user.id) out.tag(1, lengthDelimited).string(user.id);
  if (user.username) out.tag(2, lengthDelimited).string(user.username);
  if (user.primaryEmail) out.tag(3, lengthDelimited).string(user.primaryEmail);
  if (user.primaryEmailVerified) out.tag(4, varint).varint(1);
  if (user.primaryPhone) out.tag(5, lengthDelimited).string(user.primaryPhone);
  if (user.primaryPhoneVerified) out.tag(6, varint).varint(1);
  if (user.name) out.tag(7, lengthDelimited).string(user.name);
  if (user.avatarUrl) out.tag(8, lengthDelimited).string(user.avatarUrl);
  // An empty message is still set: its tag and a zero length.
  if (user.profile !== undefined) out.tag(9, lengthDelimited).varint(0);
  if (user.customData !== undefined) out.tag(10, lengthDelimited).varint(0);
  if (user.suspended) out.tag(12, varint).varint(1);
  if (user.hasPassword) out.tag(13, varint).varint(1);
  for (const [no, key] of timeFields) {
    const time = user[key];
    if (time === undefined) continue;
    const seconds = Number(time.seconds ?? 0n);
    const nanos = time.nanos ?? 0;
    const size = (seconds === 0 ? 0 : 1 + varintSize(seconds)) + (nanos === 0 ? 0 : 1 + varintSize(nanos));
    out.tag(no, lengthDelimited).varint(size);
    if (seconds !== 0) out.tag(1, varint).varint(seconds);
    if (nanos !== 0) out.tag(2, varint).varint(nanos);
  }
}

/** Unset, or a message or JSON object with nothing set. */
function isEmpty(value: object | undefined): boolean {
  if (value === undefined) return true;
  for (const [key, field] of Object.entries(value)) if (key !== "$typeName" && field !== undefined) return false;
  return true;
}

function hasUnknown(message: object): boolean {
  const unknown = (message as { $unknown?: unknown[] }).$unknown;
  return unknown !== undefined && unknown.length > 0;
}

/** A time from 1970 on whose seconds fit a double exactly (earlier ones encode as ten-byte varints). */
function isPlainTime(time: MessageInitShape<typeof TimestampSchema> | undefined): boolean {
  if (time === undefined) return true;
  const seconds = time.seconds ?? 0n;
  const nanos = time.nanos ?? 0;
  return (
    typeof seconds === "bigint" &&
    seconds >= 0n &&
    seconds <= BigInt(Number.MAX_SAFE_INTEGER) &&
    Number.isInteger(nanos) &&
    nanos >= 0 &&
    nanos <= 0x7fffffff &&
    !hasUnknown(time as Timestamp)
  );
}

function varintSize(value: number): number {
  let size = 1;
  for (let v = value; v >= 128; v = Math.floor(v / 128)) size++;
  return size;
}

/** One growing buffer, shared by every call (encoding is synchronous); `finish` copies the bytes out. */
class Writer {
  private static scratch = Buffer.allocUnsafe(64 * 1024);
  private buf = Writer.scratch;
  pos = 0;

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = Writer.scratch = grown;
  }

  tag(no: number, wireType: number): this {
    return this.varint((no << 3) | wireType);
  }

  /** A non-negative integer below 2^53. */
  varint(value: number): this {
    this.ensure(10);
    this.putVarint(value);
    return this;
  }

  private putVarint(value: number): void {
    let v = value;
    while (v >= 128) {
      this.buf[this.pos++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  /** Negative int32s are sign-extended to ten bytes, as protobuf writes them. */
  int32(value: number): this {
    return value >= 0 ? this.varint(value) : this.bytesRaw(signExtended(value));
  }

  double(value: number): this {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
    return this;
  }

  string(value: string): this {
    // UTF-8 takes at most three bytes per UTF-16 unit; lone surrogates become U+FFFD, as TextEncoder writes them.
    const reserved = varintSize(value.length * 3);
    this.ensure(reserved + value.length * 3);
    const start = this.pos;
    const length = this.buf.write(value, start + reserved, "utf8");
    this.putVarint(length);
    if (this.pos !== start + reserved) this.buf.copy(this.buf, this.pos, start + reserved, start + reserved + length);
    this.pos += length;
    return this;
  }

  /** Length-prefixed bytes. */
  bytes(value: Uint8Array): this {
    this.varint(value.length);
    return this.bytesRaw(value);
  }

  private bytesRaw(value: Uint8Array): this {
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /** Leaves room for a length prefix of up to five bytes; `fillLength` writes it once the body is written. */
  reserveLength(): { start: number; body: number } {
    this.ensure(5);
    const start = this.pos;
    this.pos += 5;
    return { start, body: this.pos };
  }

  fillLength(at: { start: number; body: number }): void {
    const length = this.pos - at.body;
    this.pos = at.start;
    this.putVarint(length);
    if (this.pos !== at.body) this.buf.copy(this.buf, this.pos, at.body, at.body + length);
    this.pos += length;
  }

  finish(): Uint8Array {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

function signExtended(value: number): Uint8Array {
  const bytes = new Uint8Array(10);
  let v = BigInt.asUintN(64, BigInt(value));
  for (let i = 0; i < 10; i++, v >>= 7n) bytes[i] = Number(v & 127n) | (i < 9 ? 128 : 0);
  return bytes;
}
