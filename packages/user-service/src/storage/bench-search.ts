// Times each search mode at 10,000 and 100,000 users, storage and database only (no gRPC): the
// benchmark's users and requests (scripts/bench/rpc-cases.js), so a mode served by its indexes
// keeps its time flat as users grow. Medians of interleaved runs in one process, so drift on a
// shared machine hits both sizes alike. `node dist/storage/bench-search.js [runs]`.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { SearchUsersRequestSchema, TextField, TextMatchMode } from "@roster/client";
import { ensureIndexes } from "@roster/runtime";
import { startMongoDouble } from "@roster/mongo-double";
import { MongoClient } from "mongodb";
import { planSearch } from "../domain/search.js";
import { searchInputOf } from "../rpc/search-request.js";
import { searchIndexes } from "./search-indexes.js";
import { searchFieldsOf, type UserDocument } from "./user-document.js";
import { createUserSearch, type UserSearch } from "./user-search.js";

const SIZES = [10_000, 100_000];
const RUNS = Number(process.argv[2] ?? 15);
const firstNames = [
  "Alice",
  "Bruno",
  "Chiara",
  "Dmitri",
  "Elena",
  "Farid",
  "Greta",
  "Hiro",
  "Ingrid",
  "Jamal",
  "Kofi",
  "Lena",
  "Mateo",
  "Nadia",
  "Oskar",
  "Priya",
  "Quentin",
  "Rosa",
  "Sven",
  "Tomas",
  "Ursula",
  "Viktor",
  "Wanda",
  "Xavier",
  "Yusuf",
  "Zoe",
];
const lastNames = [
  "Anderson",
  "Bianchi",
  "Castillo",
  "Dubois",
  "Eriksson",
  "Fischer",
  "Garcia",
  "Hansen",
  "Ivanova",
  "Johnson",
  "Kowalski",
  "Larsen",
  "Martin",
  "Nakamura",
  "Olsen",
  "Petrov",
  "Quinn",
  "Rossi",
  "Schmidt",
  "Tanaka",
  "Usman",
  "Novak",
];

function user(i: number): UserDocument {
  const username = `user${String(i).padStart(7, "0")}`;
  const email = `${username}@bench.example.com`;
  const name = `${firstNames[i % firstNames.length]} ${lastNames[Math.floor(i / firstNames.length) % lastNames.length]}`;
  const time = new Date(Date.UTC(2024, 0, 1) + i * 1000);
  const keys = { usernameKey: username, emailKey: email, nameKey: name.toLowerCase() };
  const flags = { emailVerified: false, phoneVerified: false, suspended: false, failedAttempts: { count: 0 } };
  const doc: UserDocument = {
    _id: `id${String(i).padStart(7, "0")}`,
    username,
    email,
    name,
    ...keys,
    ...flags,
    profile: {},
    customData: {},
    identities: [],
    roleIds: [],
    createTime: time,
    updateTime: time,
  };
  return { ...doc, ...searchFieldsOf(doc) };
}

type Init = MessageInitShape<typeof SearchUsersRequestSchema>;
const text = (field: TextField, mode: TextMatchMode, value: string): Init => ({
  filter: { filter: { case: "text", value: { field, mode, value } } },
});
const inner = (word: string): string => word.slice(1, 5).toLowerCase();
/** A request per mode and run, picked alike at both sizes. */
const MODES: Record<string, (run: number) => Init> = {
  "list first page": () => ({}),
  "contains name": (run) => text(TextField.NAME, TextMatchMode.CONTAINS, inner(lastNames[run % lastNames.length]!)),
  "OR of 5 contains": (run) => ({
    filter: {
      filter: {
        case: "or",
        value: {
          filters: [0, 1, 2, 3, 4].map(
            (k) =>
              text(TextField.NAME, TextMatchMode.CONTAINS, inner(lastNames[(run + k * 3) % lastNames.length]!)).filter!,
          ),
        },
      },
    },
  }),
  "prefix name": (run) => text(TextField.NAME, TextMatchMode.PREFIX, firstNames[run % firstNames.length]!.slice(0, 4)),
  "free-text query": (run) => ({ query: firstNames[run % firstNames.length]!.slice(0, 4).toLowerCase() }),
  "similarity name": (run) =>
    text(
      TextField.NAME,
      TextMatchMode.SIMILARITY,
      `${firstNames[run % firstNames.length]} ${lastNames[run % lastNames.length]!.replace(/(.)(.)$/, "$2$1")}`,
    ),
};

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const server = await startMongoDouble();
const client = new MongoClient(server.uri);
try {
  const searches: UserSearch[] = [];
  for (const size of SIZES) {
    const db = client.db(`bench_search_${size}`);
    await ensureIndexes(db, searchIndexes);
    for (let offset = 0; offset < size; offset += 1_000) {
      await db.collection<UserDocument>("users").insertMany(Array.from({ length: 1_000 }, (_, i) => user(offset + i)));
    }
    searches.push(createUserSearch(db, { timeLimitMs: 60_000 }));
  }
  const times = new Map(Object.keys(MODES).map((name) => [name, SIZES.map((): number[] => [])]));
  // The first run warms up.
  for (let run = 0; run <= RUNS; run++) {
    for (const [name, request] of Object.entries(MODES)) {
      const plan = planSearch(searchInputOf(create(SearchUsersRequestSchema, request(run))));
      for (const [i, search] of searches.entries()) {
        const started = performance.now();
        await search.search(plan);
        if (run > 0) times.get(name)![i]!.push(performance.now() - started);
      }
    }
  }
  console.log(`mode | ${SIZES.map((size) => `${size} users`).join(" | ")} | ratio`);
  for (const [name, bySize] of times) {
    const [small, large] = bySize.map(median) as [number, number];
    console.log(`${name} | ${small.toFixed(2)} ms | ${large.toFixed(2)} ms | ${(large / small).toFixed(2)}`);
  }
} finally {
  await client.close();
  await server.close();
}
