// Test support shared by user-service's tests; never exported from the package's entry point.
import type { SearchUsersRequest } from "@roster/client";
import type { TestBackend } from "@roster/mongo-double/testing";
import type { CommandStartedEvent, Document } from "mongodb";
import {
  createUserSearchService,
  planSearch as planInput,
  type RegexCostOf,
  type UserSearchStore,
} from "./domain/search.js";
import type { CreateUserInput, UsersDeps } from "./domain/users.js";
import { searchInputOf } from "./rpc/search-request.js";
import type { UserDocument } from "./storage/user-document.js";

/** What user use cases need to log changes and delete users, for tests that read no logs and delete no one. */
export const unloggedChanges: Pick<UsersDeps, "pendingLogs" | "tokenCleanup"> = {
  pendingLogs: { settle: () => Promise.resolve(), record: () => Promise.resolve() },
  tokenCleanup: {
    enqueue: () => Promise.resolve(),
    release: () => Promise.resolve(),
    dropLog: () => Promise.resolve(),
  },
};

/** A user to create with every field blank, but for `overrides`. */
export function userInput(overrides: Partial<CreateUserInput> = {}): CreateUserInput {
  return {
    username: "",
    email: "",
    emailVerified: false,
    phone: "",
    phoneVerified: false,
    name: "",
    avatarUrl: "",
    profile: { claims: {} },
    customData: {},
    ...overrides,
  };
}

/** A stored user with nothing set but its id and times, and what `fields` gives. */
export function userDocument(
  id: string,
  createTime: Date,
  updateTime: Date,
  fields: Partial<UserDocument> = {},
): UserDocument {
  return {
    _id: id,
    emailVerified: false,
    phoneVerified: false,
    profile: {},
    customData: {},
    identities: [],
    roleIds: [],
    suspended: false,
    grams: [],
    createTime,
    updateTime,
    failedAttempts: { count: 0 },
    ...fields,
  };
}

/** Plans a search the way the RPC layer does: request → domain input → plan. */
export const planSearch = (request: SearchUsersRequest) => planInput(searchInputOf(request));

/** Runs a search the way the RPC layer does, against `store`. */
export const searchUsers = <T>(store: UserSearchStore<T>, request: SearchUsersRequest, regexCostOf: RegexCostOf) =>
  createUserSearchService({ store, regexCostOf }).search(searchInputOf(request));

/**
 * The reads (finds and find-and-modifies) `work` sends to `collection`, each explained as the
 * database runs its filter after `work` is done (`executionStats`).
 */
export async function explainedReads(
  backend: TestBackend,
  collection: string,
  work: () => Promise<unknown>,
): Promise<Document[]> {
  const reads: Document[] = [];
  const listener = (event: CommandStartedEvent) => {
    if ((event.command.find ?? event.command.findAndModify) === collection) reads.push(event.command);
  };
  backend.client.on("commandStarted", listener);
  try {
    await work();
  } finally {
    backend.client.off("commandStarted", listener);
  }
  return Promise.all(
    reads.map((command) =>
      backend.db.command({
        explain: { find: collection, filter: (command.filter ?? command.query) as Document },
        verbosity: "executionStats",
      }),
    ),
  );
}

/** A plan's stages from the top, an index scan with the index it reads ("IXSCAN resetCode_hash"). */
export function stagesOf(plan: Document): string[] {
  const out: string[] = [];
  for (let stage: Document | undefined = plan; stage; stage = stage.inputStage as Document | undefined) {
    out.push(stage.indexName === undefined ? String(stage.stage) : `${stage.stage} ${stage.indexName}`);
  }
  return out;
}
