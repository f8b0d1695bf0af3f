import { timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { invalidField } from "./domain-error.js";

// RFC 3339's range, which google.protobuf.Timestamp documents as its own: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
const minSeconds = -62_135_596_800n;
const maxSeconds = 253_402_300_799n;

/**
 * An optional google.protobuf.Timestamp from a request as a Date (unset stays
 * unset). Every request timestamp goes through here: one outside RFC 3339's
 * years 0001–9999, or with nanos outside 0–999,999,999, is refused as
 * INVALID_ARGUMENT naming `field`, before anything is stored that JSON could
 * not show again. Nanos below a millisecond are truncated, never rounded up
 * past the range.
 */
export function optionalDate(timestamp: Timestamp | undefined, field: string): Date | undefined {
  if (timestamp === undefined) return undefined;
  const { seconds, nanos } = timestamp;
  if (seconds < minSeconds || seconds > maxSeconds || !Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) {
    throw invalidField(
      field,
      "must be from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z",
      "TIMESTAMP_OUT_OF_RANGE",
    );
  }
  return new Date(Number(seconds) * 1000 + Math.floor(nanos / 1_000_000));
}

/** An optional Date as a google.protobuf.Timestamp (unset stays unset). */
export function optionalTimestamp(date: Date | undefined): Timestamp | undefined {
  return date === undefined ? undefined : timestampFromDate(date);
}
