/**
 * The validated form of a SearchUsers request: what to match, in what order,
 * from where. Free of transport and database types, so storage can translate
 * it and tests can assert on it.
 */

/** A user text field, or a string inside custom data. */
export type TextTarget =
  | { field: "id" | "username" | "email" | "phone" | "name" }
  | { field: "customData"; path: string };

/** JSON as carried by google.protobuf.Value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type SortField = "createTime" | "updateTime" | "lastSignInTime" | "username" | "name";

export type PlanNode =
  /** Whole-value or leading match; `value` is already normalised for the field. */
  | { kind: "match"; target: TextTarget; match: "exact" | "prefix"; value: string; caseSensitive: boolean }
  /**
   * A regular expression (unanchored unless it anchors itself) that scans.
   * `regexAt` is set when the caller wrote it (REGEX mode): the request path
   * to name if its matching cost is refused. `grams`, when not empty, are
   * trigrams every match has (CONTAINS), likely rarest first: the index
   * draws candidates by them and the expression checks each.
   */
  | { kind: "pattern"; target: TextTarget; pattern: string; caseSensitive: boolean; regexAt?: string; grams?: string[] }
  /**
   * Trigram similarity of one field to `value` of at least `threshold`.
   * `grams` are the value's trigrams; a match shares at least `minShared` of
   * them, so it holds at least one of any `grams.length - minShared + 1` of
   * them: `probe` is such a subset, the likely rarest, for the index to scan.
   */
  | {
      kind: "similarity";
      field: "username" | "email" | "phone" | "name";
      value: string;
      threshold: number;
      grams: string[];
      minShared: number;
      probe: string[];
    }
  /**
   * The free-text query: the id equals `text`, or the username, email or name
   * starts with `key` (lower-cased), the phone with `phone`, or a word of the
   * name starts with `key`. `grams` are the text's trigrams, the last word
   * taken as a prefix: relevance compares them with each field's.
   */
  | { kind: "freeText"; text: string; key: string; phone: string; grams: string[] }
  | { kind: "ids"; ids: string[] }
  | { kind: "emails"; emails: string[] }
  | { kind: "flag"; flag: "suspended" | "hasPassword"; value: boolean }
  | { kind: "hasRole"; roleId: string }
  /** Role named instead of identified; `nameKey` is the lower-cased name. */
  | { kind: "hasRoleName"; nameKey: string }
  | { kind: "identityTarget"; target: string }
  | { kind: "timeRange"; field: "createTime" | "updateTime" | "lastSignInTime"; start?: Date; end?: Date }
  | { kind: "customDataEquals"; path: string; value: JsonValue }
  | { kind: "and" | "or"; children: PlanNode[] }
  | { kind: "not"; child: PlanNode };

/** Where the previous page ended: its last sort value (ms for times, the score when ranked) and id, and how many users came before. */
export interface PageCursor {
  value: string | number | null;
  id: string;
  before: number;
}

/** What relevance is measured against: the free-text query, or else a similarity filter. */
export type RankSource = Extract<PlanNode, { kind: "freeText" | "similarity" }>;

export interface SearchPlan {
  /** Undefined matches every user. */
  filter: PlanNode | undefined;
  /** By a stored field, or by relevance to `rank` (highest first, ties by id). */
  sort: { field: SortField; descending: boolean } | { field: "relevance"; rank: RankSource };
  /** Whether to count every match; without it the total is a lower bound unless known for free. */
  includeTotal: boolean;
  pageSize: number;
  after: PageCursor | undefined;
  /** Identifies the query (everything but paging) so a page token cannot cross queries. */
  fingerprint: string;
}
