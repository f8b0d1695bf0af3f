// The calls the RPC benchmark drives: each row's method path, target port and
// a pool of pre-encoded request frames sent in rotation.
import { create, toBinary } from "@bufbuild/protobuf";
import {
  ExchangePersonalAccessTokenRequestSchema,
  GetJwksRequestSchema,
  GetUserByIdentifierRequestSchema,
  GetUserPermissionsRequestSchema,
  GetUserRequestSchema,
  Health,
  HealthCheckRequestSchema,
  IntrospectTokenRequestSchema,
  RoleService,
  SearchUsersRequestSchema,
  TextField,
  TextMatchMode,
  TokenService,
  UserService,
  VerifyPasswordRequestSchema,
} from "@roster/client";
import { grpcFrame } from "./load.js";
import { patCreateRows } from "./pat-rows.js";
import { benchEmail, benchName, benchUsername, firstNames, lastNames } from "./rpc-seed.js";

const poolSize = 1_000;
const pathOf = (service, method) => `/${service.typeName}/${service.method[method].name}`;

/** `count` requests, each from `pick`: random picks spread the load over the seeded data. */
function pool(count, pick) {
  return Array.from({ length: count }, (_, i) => pick(i));
}
const randomOf = (list) => list[Math.floor(Math.random() * list.length)];
const randomIndex = (n) => Math.floor(Math.random() * n);

function frames(schema, inits) {
  return inits.map((init) => grpcFrame(toBinary(schema, create(schema, init))));
}

/**
 * Searches that score or count many documents take tens to hundreds of ms each: fewer in flight keeps
 * p99 meaningful, and keeps queueing from pushing them past SEARCH_TIME_LIMIT_MS, which bounds a whole
 * search. A search refused over that limit (RESOURCE_EXHAUSTED) is a documented answer, counted in
 * the row's "refused" column rather than failing the run.
 */
const heavy = { clients: 1, streams: 2, tolerated: ["8"] };

/** 32 calls in flight, as outside search benchmarks drive them. */
const searchLoad = { clients: 4, streams: 8, tolerated: ["8"] };

/** Four letters from inside a word, so CONTAINS cannot be answered as a prefix. */
const innerOf = (word) => word.slice(1, 5).toLowerCase();

const textFilter = (field, mode, value) => ({ filter: { case: "text", value: { field, mode, value } } });

/** A one-letter typo, so similarity search has work to do. */
function typo(text) {
  const at = 1 + randomIndex(text.length - 2);
  return text.slice(0, at) + text[at + 1] + text[at] + text.slice(at + 2);
}

/**
 * The benchmark rows. Each: { name, service ("user-service" | "token-service"),
 * port, path, frames, protocol?, clients?, streams?, noop?, headers?, prepare? }
 * (the API key unless `headers` says otherwise; `prepare` runs before the row).
 */
export function rpcCases({ stack, ports, users, seeded, rounds = 1 }) {
  const healthPath = pathOf(Health, "check");
  const healthFrames = frames(HealthCheckRequestSchema, [{}]);
  const search = (init) => ({
    path: pathOf(UserService, "searchUsers"),
    frames: frames(SearchUsersRequestSchema, init),
  });
  const user = (row) => ({ service: "user-service", port: ports.userGrpc, ...row });
  const token = (row) => ({ service: "token-service", port: ports.tokenGrpc, ...row });
  // An access token costs a signature check and a read of its user's state on every call; an API key neither.
  const withAccessToken = { headers: { authorization: `Bearer ${seeded.accessToken}` } };
  const getUser = {
    path: pathOf(UserService, "getUser"),
    frames: frames(
      GetUserRequestSchema,
      pool(poolSize, () => ({ userId: randomOf(seeded.userIds) })),
    ),
  };
  const getJwks = { path: pathOf(TokenService, "getJwks"), frames: frames(GetJwksRequestSchema, [{}]) };
  return [
    user({ name: "Health/Check (no-op)", noop: true, path: healthPath, frames: healthFrames }),
    user({ name: "GetUser", ...getUser }),
    user({ name: "GetUser (access token)", ...getUser, ...withAccessToken }),
    user({
      name: "GetUserByIdentifier (email)",
      path: pathOf(UserService, "getUserByIdentifier"),
      frames: frames(
        GetUserByIdentifierRequestSchema,
        pool(poolSize, () => ({ identifier: { case: "email", value: benchEmail(randomIndex(users)) } })),
      ),
    }),
    user({
      name: "SearchUsers exact username",
      ...search(
        pool(poolSize, () => ({
          filter: textFilter(TextField.USERNAME, TextMatchMode.EXACT, benchUsername(randomIndex(users))),
        })),
      ),
    }),
    user({
      name: "SearchUsers prefix email",
      // "user000123" is the prefix of ten users: one page, a count over ten.
      ...search(
        pool(poolSize, () => ({
          filter: textFilter(TextField.EMAIL, TextMatchMode.PREFIX, benchUsername(randomIndex(users)).slice(0, 10)),
        })),
      ),
    }),
    user({
      name: "SearchUsers similarity name",
      ...search(
        pool(poolSize, () => ({
          filter: textFilter(TextField.NAME, TextMatchMode.SIMILARITY, typo(benchName(randomIndex(users)))),
        })),
      ),
      ...heavy,
    }),
    user({
      name: "SearchUsers free-text query",
      // Ranks at most SEARCH_RANKED_CANDIDATES matches, so it runs at the load outside benchmarks use.
      ...search(pool(poolSize, () => ({ query: randomOf(firstNames).slice(0, 4).toLowerCase() }))),
      ...searchLoad,
    }),
    user({ name: "SearchUsers list first page", ...search([{}]), ...heavy }),
    user({
      name: "SearchUsers contains name",
      // Four letters from inside a last name ("nder" of Anderson): a few hundred matches per 10,000 users.
      ...search(
        pool(poolSize, () => ({
          filter: textFilter(TextField.NAME, TextMatchMode.CONTAINS, innerOf(randomOf(lastNames))),
        })),
      ),
      ...searchLoad,
    }),
    user({
      name: "SearchUsers OR of 5 contains",
      ...search(
        pool(poolSize, () => ({
          filter: {
            filter: {
              case: "or",
              value: {
                filters: pool(5, () =>
                  textFilter(TextField.NAME, TextMatchMode.CONTAINS, innerOf(randomOf(lastNames))),
                ),
              },
            },
          },
        })),
      ),
      ...searchLoad,
    }),
    user({
      name: "SearchUsers prefix name",
      ...search(
        pool(poolSize, () => ({
          filter: textFilter(TextField.NAME, TextMatchMode.PREFIX, randomOf(firstNames).slice(0, 4)),
        })),
      ),
      ...searchLoad,
    }),
    user({
      name: "GetUserPermissions",
      path: pathOf(RoleService, "getUserPermissions"),
      frames: frames(
        GetUserPermissionsRequestSchema,
        pool(poolSize, () => ({ userId: randomOf(seeded.roleUserIds) })),
      ),
    }),
    user({
      name: "VerifyPassword (argon2id)",
      path: pathOf(UserService, "verifyPassword"),
      frames: frames(
        VerifyPasswordRequestSchema,
        seeded.passwordLogins.map(({ username, password }) => ({
          user: { case: "username", value: username },
          password,
        })),
      ),
      // Each call costs tens of ms of CPU: a few in flight keep every core busy.
      clients: 2,
      streams: 4,
    }),
    user({
      name: "Health/Check over Connect (HTTP port)",
      port: ports.userHttp,
      protocol: "connect",
      path: healthPath,
      frames: [toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema))],
    }),
    token({ name: "Health/Check (no-op)", noop: true, path: healthPath, frames: healthFrames }),
    token({ name: "GetJwks", ...getJwks }),
    token({ name: "GetJwks (access token)", ...getJwks, ...withAccessToken }),
    token({
      name: "IntrospectToken (PAT)",
      path: pathOf(TokenService, "introspectToken"),
      frames: frames(IntrospectTokenRequestSchema, [{ token: seeded.pat }]),
    }),
    token({
      name: "IntrospectToken (JWT)",
      path: pathOf(TokenService, "introspectToken"),
      frames: frames(IntrospectTokenRequestSchema, [{ token: seeded.accessToken }]),
    }),
    token({
      name: "ExchangePersonalAccessToken",
      path: pathOf(TokenService, "exchangePersonalAccessToken"),
      frames: frames(ExchangePersonalAccessTokenRequestSchema, [{ personalAccessToken: seeded.pat }]),
    }),
    ...patCreateRows({ stack, seeded, rounds }),
  ];
}
