import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";

/** An optional google.protobuf.Timestamp as a Date (unset stays unset). */
export function optionalDate(timestamp: Timestamp | undefined): Date | undefined {
  return timestamp === undefined ? undefined : timestampDate(timestamp);
}

/** An optional Date as a google.protobuf.Timestamp (unset stays unset). */
export function optionalTimestamp(date: Date | undefined): Timestamp | undefined {
  return date === undefined ? undefined : timestampFromDate(date);
}
