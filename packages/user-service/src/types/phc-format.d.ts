// @phc/format ships no types; this is the part of its API Roster uses.
declare module "@phc/format" {
  export interface PhcObject {
    id: string;
    version?: number;
    params?: Record<string, string | number>;
    salt?: Buffer;
    hash?: Buffer;
  }
  /** Parses a PHC string; throws a TypeError naming what is malformed. */
  export function deserialize(phcString: string): PhcObject;
}
