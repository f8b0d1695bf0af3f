import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { deserialize, serialize } from "bson";
import { fromWire, type Doc } from "./bson-values.js";
import type { ChangeLog } from "./change-log.js";
import type { IndexSpec } from "./index-spec.js";
import { Store } from "./store.js";

const FORMAT_VERSION = 1;
const DATABASE_FILE = "double.sqlite";

// One row per document keyed by (db, collection, _id) holding its BSON; the rowid keeps natural
// order, since an update rewrites the row in place. Each collection's index definitions are one
// BSON array beside it, `_id_` left out (every collection has it).
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS collections (db TEXT NOT NULL, name TEXT NOT NULL, indexes BLOB NOT NULL, PRIMARY KEY (db, name));
  CREATE TABLE IF NOT EXISTS documents (db TEXT NOT NULL, coll TEXT NOT NULL, id TEXT NOT NULL, doc BLOB NOT NULL, PRIMARY KEY (db, coll, id));
`;

type Change = (statements: Statements) => void;

interface Statements {
  putCollection: Database.Statement<[string, string, Uint8Array]>;
  putDocument: Database.Statement<[string, string, string, Uint8Array]>;
  deleteDocument: Database.Statement<[string, string, string]>;
  deleteCollection: Database.Statement<[string, string]>;
  deleteCollectionDocuments: Database.Statement<[string, string]>;
  deleteDatabase: Database.Statement<[string]>;
  deleteDatabaseDocuments: Database.Statement<[string]>;
}

const encodeIndexes = (specs: IndexSpec[]): Uint8Array => serialize({ specs });
// As the wire protocol decodes: numbers keep their BSON type until fromWire picks the stored form.
const DECODE_OPTIONS = { promoteValues: false, promoteBuffers: false, bsonRegExp: false } as const;
const decode = (bytes: Buffer): Doc => fromWire(deserialize(bytes, DECODE_OPTIONS)) as Doc;

/**
 * The double's data in one SQLite database (WAL, synchronous=FULL): the changes a command makes
 * are kept in memory as it runs and committed in one transaction by `commit`, which returns only
 * once they are on disk. A kill at any moment leaves whole commands or none of one.
 */
export class SqliteStorage implements ChangeLog {
  readonly file: string;
  readonly #db: Database.Database;
  readonly #statements: Statements;
  #pending: Change[] = [];

  private constructor(file: string) {
    this.file = file;
    this.#db = new Database(file, { timeout: 0 });
    // Held for the life of the process (the OS frees it on any exit): a second server on the same
    // directory fails here instead of both writing.
    this.#db.pragma("locking_mode = EXCLUSIVE");
    this.#db.pragma("journal_mode = WAL");
    // FULL syncs the log at every commit, so an acknowledged write survives power loss too, not only a killed process.
    this.#db.pragma("synchronous = FULL");
    const version = this.#db.pragma("user_version", { simple: true }) as number;
    if (version !== 0 && version !== FORMAT_VERSION) throw new Error(`${file}: unknown data format version ${version}`);
    this.#db.exec(`BEGIN IMMEDIATE; ${SCHEMA} PRAGMA user_version = ${FORMAT_VERSION}; COMMIT;`);
    this.#statements = {
      putCollection: this.#db.prepare(
        "INSERT INTO collections (db, name, indexes) VALUES (?, ?, ?) ON CONFLICT (db, name) DO UPDATE SET indexes = excluded.indexes",
      ),
      putDocument: this.#db.prepare(
        "INSERT INTO documents (db, coll, id, doc) VALUES (?, ?, ?, ?) ON CONFLICT (db, coll, id) DO UPDATE SET doc = excluded.doc",
      ),
      deleteDocument: this.#db.prepare("DELETE FROM documents WHERE db = ? AND coll = ? AND id = ?"),
      deleteCollection: this.#db.prepare("DELETE FROM collections WHERE db = ? AND name = ?"),
      deleteCollectionDocuments: this.#db.prepare("DELETE FROM documents WHERE db = ? AND coll = ?"),
      deleteDatabase: this.#db.prepare("DELETE FROM collections WHERE db = ?"),
      deleteDatabaseDocuments: this.#db.prepare("DELETE FROM documents WHERE db = ?"),
    };
  }

  /** Opens (creating it if needed) the data in `dir` and loads it into a new store that reports its changes here. */
  static open(dir: string): { storage: SqliteStorage; store: Store } {
    // The data holds password digests and token hashes: other local users get no access to a directory made here.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const storage = SqliteStorage.#openFile(join(dir, DATABASE_FILE));
    const store = new Store();
    try {
      storage.#load(store);
    } catch (error) {
      storage.close();
      throw error;
    }
    store.attach(storage);
    return { storage, store };
  }

  static #openFile(file: string): SqliteStorage {
    try {
      return new SqliteStorage(file);
    } catch (error) {
      if (error instanceof Database.SqliteError && error.code === "SQLITE_BUSY") {
        throw new Error(`${file} is in use by another server (database is locked)`, { cause: error });
      }
      throw error;
    }
  }

  #load(store: Store): void {
    const collections = this.#db.prepare("SELECT db, name, indexes FROM collections").raw().all() as [
      string,
      string,
      Buffer,
    ][];
    for (const [db, name] of collections) store.ensureCollection(db, name);
    const documents = this.#db
      .prepare("SELECT db, coll, doc FROM documents ORDER BY rowid")
      .raw()
      .iterate() as IterableIterator<[string, string, Buffer]>;
    for (const [db, name, bytes] of documents) store.ensureCollection(db, name).insert(decode(bytes));
    // Built over the loaded documents at once, as createIndexes does on a full collection.
    for (const [db, name, indexes] of collections) {
      for (const spec of decode(indexes).specs as IndexSpec[]) store.ensureCollection(db, name).createIndex(spec);
    }
  }

  /** Makes every change since the last commit durable, in one transaction. */
  commit(): void {
    if (this.#pending.length === 0) return;
    const changes = this.#pending;
    this.#db.transaction(() => {
      for (const change of changes) change(this.#statements);
    })();
    // Kept on failure, so the next commit tries them again.
    this.#pending = [];
  }

  close(): void {
    this.commit();
    this.#db.close();
  }

  collectionCreated(db: string, name: string): void {
    this.#pending.push((s) => s.putCollection.run(db, name, encodeIndexes([])));
  }

  collectionDropped(db: string, name: string): void {
    this.#pending.push((s) => {
      s.deleteCollectionDocuments.run(db, name);
      s.deleteCollection.run(db, name);
    });
  }

  databaseDropped(db: string): void {
    this.#pending.push((s) => {
      s.deleteDatabaseDocuments.run(db);
      s.deleteDatabase.run(db);
    });
  }

  documentWritten(db: string, name: string, id: string, doc: Doc): void {
    // Stored documents are never mutated, so encoding can wait for the commit.
    this.#pending.push((s) => s.putDocument.run(db, name, id, serialize(doc)));
  }

  documentRemoved(db: string, name: string, id: string): void {
    this.#pending.push((s) => s.deleteDocument.run(db, name, id));
  }

  indexesChanged(db: string, name: string, specs: IndexSpec[]): void {
    const encoded = encodeIndexes(specs);
    this.#pending.push((s) => s.putCollection.run(db, name, encoded));
  }
}
