// Times each search mode at 10,000 and 100,000 users, storage and database only (no gRPC): the
// benchmark's users and requests (rpc-seed.js, rpc-cases.js), so a mode served by its indexes keeps
// its time flat as users grow. Medians of interleaved runs in one process, so drift on a shared
// machine hits both sizes alike. `npm run bench:search [-- runs]` (builds first).
import { create } from "@bufbuild/protobuf";
import { SearchUsersRequestSchema, TextField, TextMatchMode } from "@roster/client";
import { startMongoDouble } from "@roster/mongo-double";
import { ensureIndexes } from "@roster/runtime";
import { performance } from "node:perf_hooks";
import { MongoClient } from "mongodb";
import { planSearch } from "../../packages/user-service/dist/domain/search.js";
import { searchInputOf } from "../../packages/user-service/dist/rpc/search-request.js";
import { searchIndexes } from "../../packages/user-service/dist/storage/search-indexes.js";
import { searchFieldsOf } from "../../packages/user-service/dist/storage/user-document.js";
import { createUserSearch } from "../../packages/user-service/dist/storage/user-search.js";
import { benchEmail, benchName, benchUsername, firstNames, lastNames } from "./rpc-seed.js";

const SIZES = [10_000, 100_000];
const RUNS = Number(process.argv[2] ?? 15);

/** The stored document of the benchmark's user `i`, as ImportUsers would store it. */
function user(i) {
  const username = benchUsername(i);
  const email = benchEmail(i);
  const name = benchName(i);
  const time = new Date(Date.UTC(2024, 0, 1) + i * 1000);
  const doc = {
    _id: `id${String(i).padStart(7, "0")}`,
    username,
    email,
    name,
    usernameKey: username,
    emailKey: email,
    nameKey: name.toLowerCase(),
    emailVerified: false,
    phoneVerified: false,
    suspended: false,
    failedAttempts: { count: 0 },
    profile: {},
    customData: {},
    identities: [],
    roleIds: [],
    createTime: time,
    updateTime: time,
  };
  return { ...doc, ...searchFieldsOf(doc) };
}

const text = (field, mode, value) => ({ filter: { filter: { case: "text", value: { field, mode, value } } } });
const inner = (word) => word.slice(1, 5).toLowerCase();
const nth = (list, i) => list[i % list.length];
/** A request per mode and run, picked alike at both sizes. */
const MODES = {
  "list first page": () => ({}),
  "contains name": (run) => text(TextField.NAME, TextMatchMode.CONTAINS, inner(nth(lastNames, run))),
  "OR of 5 contains": (run) => ({
    filter: {
      filter: {
        case: "or",
        value: {
          filters: [0, 1, 2, 3, 4].map(
            (k) => text(TextField.NAME, TextMatchMode.CONTAINS, inner(nth(lastNames, run + k * 3))).filter,
          ),
        },
      },
    },
  }),
  "prefix name": (run) => text(TextField.NAME, TextMatchMode.PREFIX, nth(firstNames, run).slice(0, 4)),
  "free-text query": (run) => ({ query: nth(firstNames, run).slice(0, 4).toLowerCase() }),
  "similarity name": (run) =>
    text(
      TextField.NAME,
      TextMatchMode.SIMILARITY,
      `${nth(firstNames, run)} ${nth(lastNames, run).replace(/(.)(.)$/, "$2$1")}`,
    ),
};

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const server = await startMongoDouble();
const client = new MongoClient(server.uri);
try {
  const searches = [];
  for (const size of SIZES) {
    const db = client.db(`bench_search_${size}`);
    await ensureIndexes(db, searchIndexes);
    for (let offset = 0; offset < size; offset += 1_000) {
      await db.collection("users").insertMany(Array.from({ length: 1_000 }, (_, i) => user(offset + i)));
    }
    searches.push(createUserSearch(db, { timeLimitMs: 60_000 }));
  }
  const times = new Map(Object.keys(MODES).map((name) => [name, SIZES.map(() => [])]));
  // The first run warms up.
  for (let run = 0; run <= RUNS; run++) {
    for (const [name, request] of Object.entries(MODES)) {
      const plan = planSearch(searchInputOf(create(SearchUsersRequestSchema, request(run))));
      for (const [i, search] of searches.entries()) {
        const started = performance.now();
        await search.search(plan);
        if (run > 0) times.get(name)[i].push(performance.now() - started);
      }
    }
  }
  console.log(`mode | ${SIZES.map((size) => `${size} users`).join(" | ")} | ratio`);
  for (const [name, bySize] of times) {
    const [small, large] = bySize.map(median);
    console.log(`${name} | ${small.toFixed(2)} ms | ${large.toFixed(2)} ms | ${(large / small).toFixed(2)}`);
  }
} finally {
  await client.close();
  await server.close();
}
