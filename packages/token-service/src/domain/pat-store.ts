/** A personal access token as kept: metadata and the hash of its secret. */
export interface PatRecord {
  id: string;
  userId: string;
  name: string;
  secretHash: string;
  hint: string;
  scopes: string[];
  createTime: Date;
  expireTime: Date | undefined;
  lastUseTime: Date | undefined;
}

/** Where a page of a user's tokens starts: after this token in newest-first order. */
export interface PatCursor {
  createTime: Date;
  id: string;
}

/** Persistence of PATs; the only code that speaks MongoDB about them implements it. */
export interface PatStore {
  /**
   * Inserts a token unless its user already holds `cap` (false then), however
   * many inserts race, on however many instances. Throws ALREADY_EXISTS
   * `TOKEN_NAME_TAKEN` when the user has a token of that name. The token keeps
   * `creationEntryId`, the id of its creation's audit entry (see `changeEntryIds`).
   */
  insertWithinCap(record: PatRecord, cap: number, creationEntryId: string): Promise<boolean>;
  findBySecretHash(secretHash: string): Promise<PatRecord | undefined>;
  countForUser(userId: string): Promise<number>;
  listForUser(userId: string, after: PatCursor | undefined, limit: number): Promise<PatRecord[]>;
  /**
   * Applies the changes to the user's token; undefined when there is none with that id. Name clashes
   * throw as `insert`. The token keeps `entryId`, the id of the change's audit entry, with those of
   * its latest changes (see `changeEntryIds`).
   */
  update(
    userId: string,
    id: string,
    changes: { name?: string; expireTime?: Date | null },
    entryId: string,
  ): Promise<PatRecord | undefined>;
  /** Deletes the user's token; the deleted record, or undefined when there was none. */
  delete(userId: string, id: string): Promise<PatRecord | undefined>;
  deleteAllForUser(userId: string): Promise<number>;
  /**
   * The ids of the audit entries of their creation and latest changes that the user's token `id`
   * keeps, or all of the user's tokens when `id` is undefined (tokens stored before they kept them
   * have none).
   */
  changeEntryIds(userId: string, id: string | undefined): Promise<string[]>;
  /** Whether the user's token `id` keeps `entryId` among the audit entries of its latest changes. */
  keepsChangeEntry(userId: string, id: string, entryId: string): Promise<boolean>;
  /** Whether the user has the token with this id. */
  exists(userId: string, id: string): Promise<boolean>;
  /** Whether the user has a token created at or before `at` (by its creator's clock). */
  holdsTokenCreatedBy(userId: string, at: Date): Promise<boolean>;
  /** Sets `lastUseTime` to `at` unless it is already later than `notBefore`, so busy tokens cost one write a minute. */
  touch(id: string, at: Date, notBefore: Date): Promise<void>;
}
