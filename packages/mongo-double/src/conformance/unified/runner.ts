import { EJSON } from "bson";
import { MongoClient, MongoServerError, type Document } from "mongodb";
import { mismatch, show } from "./matcher.js";
import { runEntityOperation, type EntityMap } from "./operations.js";

/** The server the double stands in for: a standalone 7.0 without authentication. */
const SERVER_VERSION = [7, 0, 0];

interface Requirement {
  minServerVersion?: string;
  maxServerVersion?: string;
  topologies?: string[];
  serverless?: string;
  auth?: boolean;
  [other: string]: unknown;
}

interface CollectionData {
  databaseName: string;
  collectionName: string;
  documents: Document[];
  createOptions?: Document;
}

interface Operation {
  name: string;
  object: string;
  arguments?: Document;
  expectResult?: unknown;
  expectError?: Document;
  saveResultAsEntity?: string;
  ignoreResultAndError?: boolean;
}

export interface UnifiedTest {
  description: string;
  skipReason?: string;
  runOnRequirements?: Requirement[];
  operations: Operation[];
  outcome?: CollectionData[];
}

export interface UnifiedFile {
  description: string;
  schemaVersion: string;
  runOnRequirements?: Requirement[];
  createEntities?: Document[];
  initialData?: CollectionData[];
  tests: UnifiedTest[];
}

/** A test that did not pass; `cause` is the server's error when the server refused an operation. */
export class UnifiedFailure extends Error {}

const versionOf = (text: string): number[] => text.split(".").map(Number);

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

const KNOWN_REQUIREMENTS = new Set(["minServerVersion", "maxServerVersion", "topologies", "serverless", "auth"]);

function satisfied(requirement: Requirement): boolean {
  if (Object.keys(requirement).some((key) => !KNOWN_REQUIREMENTS.has(key))) return false;
  if (requirement.minServerVersion && compareVersions(SERVER_VERSION, versionOf(requirement.minServerVersion)) < 0)
    return false;
  if (requirement.maxServerVersion && compareVersions(SERVER_VERSION, versionOf(requirement.maxServerVersion)) > 0)
    return false;
  if (requirement.topologies && !requirement.topologies.includes("single")) return false;
  if (requirement.serverless === "required") return false;
  return requirement.auth !== true;
}

/** Whether a test runs on a standalone 7.0 without auth: any one of each list of requirements holds. */
export const applicable = (file: UnifiedFile, test: UnifiedTest): boolean =>
  test.skipReason === undefined &&
  [file.runOnRequirements, test.runOnRequirements].every((list) => list === undefined || list.some(satisfied));

/** Reads a spec file, with extended JSON values ($numberLong, $oid, ...) as the driver's types. */
export const parseUnifiedFile = (text: string): UnifiedFile => EJSON.parse(text, { relaxed: true }) as UnifiedFile;

function clientUri(uri: string, uriOptions: Document | undefined): string {
  const url = new URL(uri);
  for (const [key, value] of Object.entries(uriOptions ?? {})) url.searchParams.set(key, String(value));
  return url.toString();
}

/** Read preference and concern options of a database or collection entity, as the driver takes them. */
function entityOptions(given: Document | undefined): Document {
  const { readPreference, ...rest } = given ?? {};
  return readPreference ? { ...rest, readPreference: (readPreference as Document).mode } : rest;
}

async function createEntities(
  definitions: Document[],
  uri: string,
  entities: EntityMap,
  clients: MongoClient[],
): Promise<void> {
  for (const definition of definitions) {
    const [kind, spec] = Object.entries(definition)[0] as [string, Document];
    if (kind === "client") {
      const serverApi = spec.serverApi === undefined ? {} : { serverApi: spec.serverApi as never };
      const client = new MongoClient(clientUri(uri, spec.uriOptions as Document | undefined), {
        serverSelectionTimeoutMS: 5_000,
        ...serverApi,
      });
      clients.push(client);
      entities.set(spec.id as string, client);
    } else if (kind === "database") {
      const client = entities.get(spec.client as string) as MongoClient;
      entities.set(
        spec.id as string,
        client.db(spec.databaseName as string, entityOptions(spec.databaseOptions as Document | undefined)),
      );
    } else if (kind === "collection") {
      const db = entities.get(spec.database as string) as ReturnType<MongoClient["db"]>;
      entities.set(
        spec.id as string,
        db.collection(spec.collectionName as string, entityOptions(spec.collectionOptions as Document | undefined)),
      );
    } else if (kind === "session") {
      const client = entities.get(spec.client as string) as MongoClient;
      entities.set(spec.id as string, client.startSession(spec.sessionOptions as Document | undefined));
    } else {
      throw new UnifiedFailure(`the runner does not implement ${kind} entities`);
    }
  }
}

async function loadInitialData(internal: MongoClient, data: CollectionData[]): Promise<void> {
  for (const { databaseName, collectionName, documents, createOptions } of data) {
    const db = internal.db(databaseName);
    await db
      .collection(collectionName)
      .drop()
      .catch((error: unknown) => {
        if (!(error instanceof MongoServerError && error.code === 26)) throw error;
      });
    await db.createCollection(collectionName, createOptions);
    if (documents.length > 0) await db.collection(collectionName).insertMany(documents);
  }
}

async function runnerOperation(internal: MongoClient, operation: Operation, entities: EntityMap): Promise<void> {
  const args = operation.arguments ?? {};
  const collections = async () =>
    (
      await internal
        .db(args.databaseName as string)
        .listCollections({}, { nameOnly: true })
        .toArray()
    ).map((c) => c.name);
  const indexes = async () =>
    (
      await internal
        .db(args.databaseName as string)
        .collection(args.collectionName as string)
        .listIndexes()
        .toArray()
    ).map((i) => i.name as string);
  const expect = (holds: boolean, what: string) => {
    if (!holds) throw new UnifiedFailure(`${operation.name}: ${what}`);
  };
  switch (operation.name) {
    case "failPoint":
      await (entities.get(args.client as string) as MongoClient).db("admin").command(args.failPoint as Document);
      return;
    case "assertCollectionExists":
      return expect(
        (await collections()).includes(args.collectionName as string),
        `no collection ${String(args.collectionName)}`,
      );
    case "assertCollectionNotExists":
      return expect(
        !(await collections()).includes(args.collectionName as string),
        `collection ${String(args.collectionName)} exists`,
      );
    case "assertIndexExists":
      return expect((await indexes()).includes(args.indexName as string), `no index ${String(args.indexName)}`);
    case "assertIndexNotExists":
      return expect(!(await indexes()).includes(args.indexName as string), `index ${String(args.indexName)} exists`);
    default:
      throw new UnifiedFailure(`the runner does not implement testRunner.${operation.name}`);
  }
}

const fail = (message: string, cause?: unknown): never => {
  const code = (cause as { code?: unknown } | undefined)?.code;
  throw new UnifiedFailure(
    code === undefined ? message : `${message} [code ${String(code)}]`,
    cause === undefined ? undefined : { cause },
  );
};

function checkError(expected: Document, error: unknown, entities: EntityMap, where: string): void {
  const server = error instanceof MongoServerError ? error : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (expected.isClientError === true && server)
    fail(`${where}: expected a client-side error, the server answered ${message}`, error);
  if (expected.isClientError === false && !server) fail(`${where}: expected a server error, got ${message}`, error);
  if (
    typeof expected.errorContains === "string" &&
    !message.toLowerCase().includes(expected.errorContains.toLowerCase())
  ) {
    fail(`${where}: expected an error containing "${expected.errorContains}", got "${message}"`, error);
  }
  if (expected.errorCode !== undefined && server?.code !== expected.errorCode)
    fail(
      `${where}: expected error code ${String(expected.errorCode)}, got ${String(server?.code)} (${message})`,
      error,
    );
  if (expected.errorCodeName !== undefined && server?.codeName !== expected.errorCodeName) {
    fail(
      `${where}: expected error ${String(expected.errorCodeName)}, got ${String(server?.codeName)} (${message})`,
      error,
    );
  }
  for (const label of (expected.errorLabelsContain as string[] | undefined) ?? []) {
    if (!server?.hasErrorLabel(label)) fail(`${where}: expected error label ${label}`, error);
  }
  for (const label of (expected.errorLabelsOmit as string[] | undefined) ?? []) {
    if (server?.hasErrorLabel(label)) fail(`${where}: unexpected error label ${label}`, error);
  }
  const details = error as { result?: unknown; errorResponse?: unknown };
  if (expected.expectResult !== undefined) {
    const found = mismatch(
      expected.expectResult,
      details.result === undefined ? undefined : { ...(details.result as object) },
      entities,
    );
    if (found) fail(`${where}: ${found}`, error);
  }
  if (expected.errorResponse !== undefined) {
    const found = mismatch(expected.errorResponse, details.errorResponse, entities);
    if (found) fail(`${where}: errorResponse ${found}`, error);
  }
}

async function checkOutcome(internal: MongoClient, outcome: CollectionData[], entities: EntityMap): Promise<void> {
  for (const { databaseName, collectionName, documents } of outcome) {
    const actual = await internal
      .db(databaseName)
      .collection(collectionName)
      .find({}, { sort: { _id: 1 } })
      .toArray();
    const found = mismatch(documents, actual, entities, false, `outcome ${databaseName}.${collectionName}`);
    if (found) fail(found);
  }
}

/** Runs one unified test against the deployment at `uri`; throws a UnifiedFailure when it does not pass. */
export async function runUnifiedTest(
  file: UnifiedFile,
  test: UnifiedTest,
  uri: string,
  internal: MongoClient,
): Promise<void> {
  const entities: EntityMap = new Map();
  const clients: MongoClient[] = [];
  // The runner implements version 1 of the format; a file needing another must not pass by accident.
  if (versionOf(file.schemaVersion)[0] !== 1) fail(`schema version ${file.schemaVersion} is not supported`);
  try {
    await loadInitialData(internal, file.initialData ?? []);
    await createEntities(file.createEntities ?? [], uri, entities, clients);
    for (const [index, operation] of test.operations.entries()) {
      const where = `operation ${index} (${operation.name})`;
      if (operation.object === "testRunner") {
        await runnerOperation(internal, operation, entities).catch((error: unknown) =>
          fail(`${where}: ${String(error)}`, error),
        );
        continue;
      }
      let result: unknown;
      let error: unknown;
      let failed = false;
      try {
        result = await runEntityOperation(
          entities.get(operation.object),
          operation.name,
          operation.arguments ?? {},
          entities,
        );
      } catch (thrown) {
        [error, failed] = [thrown, true];
      }
      if (operation.ignoreResultAndError) continue;
      if (operation.expectError) {
        if (!failed) fail(`${where}: expected an error, got ${show(result)}`);
        checkError(operation.expectError, error, entities, where);
        continue;
      }
      if (failed) fail(`${where}: ${error instanceof Error ? error.message : String(error)}`, error);
      if ("expectResult" in operation) {
        const found = mismatch(operation.expectResult, result, entities);
        if (found) fail(`${where}: ${found}`);
      }
      if (operation.saveResultAsEntity) entities.set(operation.saveResultAsEntity, result);
    }
    await checkOutcome(internal, test.outcome ?? [], entities);
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}
