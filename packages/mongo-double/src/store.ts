import type { ChangeLog } from "./change-log.js";
import { Collection } from "./collection.js";
import { CommandError } from "./errors.js";

/** Every database the double holds, created implicitly on first write as in MongoDB. */
export class Store {
  readonly #databases = new Map<string, Map<string, Collection>>();
  #log: ChangeLog | undefined;

  /** From now on every change is reported to `log` (after loading what it had kept). */
  attach(log: ChangeLog): void {
    this.#log = log;
    for (const collection of this.allCollections()) collection.attach(log);
  }

  collection(db: string, name: string): Collection | undefined {
    return this.#databases.get(db)?.get(name);
  }

  /** The collection, created if needed (implicit creation on insert, update with upsert, createIndexes). */
  ensureCollection(db: string, name: string): Collection {
    if (name === "" || name.includes("$") || name.startsWith("system.")) {
      throw new CommandError(73, `Invalid collection name: ${name}`);
    }
    let collections = this.#databases.get(db);
    if (!collections) {
      collections = new Map();
      this.#databases.set(db, collections);
    }
    let collection = collections.get(name);
    if (!collection) {
      collection = new Collection(db, name);
      collections.set(name, collection);
      if (this.#log) {
        collection.attach(this.#log);
        this.#log.collectionCreated(db, name);
      }
    }
    return collection;
  }

  createCollection(db: string, name: string): void {
    if (this.collection(db, name)) throw new CommandError(48, `Collection ${db}.${name} already exists.`);
    this.ensureCollection(db, name);
  }

  dropCollection(db: string, name: string): boolean {
    const collections = this.#databases.get(db);
    const dropped = collections?.delete(name) ?? false;
    if (collections && collections.size === 0) this.#databases.delete(db);
    if (dropped) this.#log?.collectionDropped(db, name);
    return dropped;
  }

  dropDatabase(db: string): void {
    if (this.#databases.delete(db)) this.#log?.databaseDropped(db);
  }

  collections(db: string): Collection[] {
    return [...(this.#databases.get(db)?.values() ?? [])];
  }

  databaseNames(): string[] {
    return [...this.#databases.keys()];
  }

  allCollections(): Collection[] {
    return [...this.#databases.values()].flatMap((collections) => [...collections.values()]);
  }
}
