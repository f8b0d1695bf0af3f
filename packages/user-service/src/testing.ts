// Test support shared by user-service's tests; never exported from the package's entry point.
import type { SearchUsersRequest } from "@roster/client";
import {
  createUserSearchService,
  planSearch as planInput,
  type RegexCostOf,
  type UserSearchStore,
} from "./domain/search.js";
import type { CreateUserInput } from "./domain/users.js";
import { searchInputOf } from "./rpc/search-request.js";
import type { UserDocument } from "./storage/user-document.js";

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
