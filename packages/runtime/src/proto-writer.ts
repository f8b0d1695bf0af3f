import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import type { Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";

/**
 * Protobuf binary written by hand for hot responses (see ServiceRegistration.encoders): the same
 * bytes as protobuf-es's `toBinary(create(…))`, fields in field-number order and each only when set,
 * without its reflection. What a hand encoder does not write itself (unknown fields, unusual times)
 * it leaves to protobuf-es, which the helpers here tell it.
 */

export const varint = 0;
export const lengthDelimited = 2;

type TimestampInit = MessageInitShape<typeof TimestampSchema>;

/** Whether the message carries unknown fields, which only protobuf-es writes back. */
export function hasUnknown(message: object): boolean {
  const unknown = (message as { $unknown?: unknown[] }).$unknown;
  return unknown !== undefined && unknown.length > 0;
}

/** Unset, or a time from 1970 on whose seconds fit a double exactly (earlier ones encode as ten-byte varints). */
export function isPlainTime(time: TimestampInit | undefined): boolean {
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
export class ProtoWriter {
  private static scratch = Buffer.allocUnsafe(64 * 1024);
  private buf = ProtoWriter.scratch;
  pos = 0;

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = ProtoWriter.scratch = grown;
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

  /** A set google.protobuf.Timestamp field (one `isPlainTime` accepts): an empty one is still written, as a zero length. */
  timestamp(no: number, time: TimestampInit): this {
    const seconds = Number(time.seconds ?? 0n);
    const nanos = time.nanos ?? 0;
    const size = (seconds === 0 ? 0 : 1 + varintSize(seconds)) + (nanos === 0 ? 0 : 1 + varintSize(nanos));
    this.tag(no, lengthDelimited).varint(size);
    if (seconds !== 0) this.tag(1, varint).varint(seconds);
    if (nanos !== 0) this.tag(2, varint).varint(nanos);
    return this;
  }

  /**
   * A set message field: its fields written by `write` when `plain` accepts it, otherwise protobuf-es's
   * bytes for it (what a hand encoder leaves to protobuf-es), embedded. Either gives the same bytes.
   */
  message<Desc extends DescMessage>(
    no: number,
    schema: Desc,
    value: MessageInitShape<Desc>,
    plain: (value: MessageInitShape<Desc>) => boolean,
    write: (out: ProtoWriter, value: MessageInitShape<Desc>) => void,
  ): this {
    this.tag(no, lengthDelimited);
    if (!plain(value)) return this.bytes(toBinary(schema, create(schema, value)));
    // Room for a length prefix of up to five bytes, written once the body is; moved back over what it did not need.
    this.ensure(5);
    const start = this.pos;
    const body = (this.pos += 5);
    write(this, value);
    const length = this.pos - body;
    this.pos = start;
    this.putVarint(length);
    if (this.pos !== body) this.buf.copy(this.buf, this.pos, body, body + length);
    this.pos += length;
    return this;
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
