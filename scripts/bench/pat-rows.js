// Rows that create personal access tokens while more and more are stored,
// so the table shows whether a create costs in proportion to what is stored.
import { randomBytes } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { CreatePersonalAccessTokenRequestSchema, TokenService } from "@roster/client";
import { MongoClient } from "mongodb";
import { grpcFrame } from "./load.js";
import { progressBar } from "./progress.js";

/** Tokens stored (by other users) before each row; steps beyond what the users can hold are left out. */
const storedSteps = [0, 10_000, 100_000];
/**
 * Each row's requests, each sent once (a name is taken once made): the row stops early if they run out
 * before warm-up + measurement end, which only a small --users makes them do.
 */
const maxCreatesPerRow = 100_000;
/** Per user over all rows and rounds, under the default cap of 100 tokens (ROSTER_MAX_TOKENS_PER_USER). */
const createsPerUser = 99;
const storedPerUser = 20;
const insertBatch = 5_000;

/**
 * The rows. Tokens are created for the first half of the users and stored
 * tokens belong to the second half, so the two never compete for a user's
 * slots; each row's `prepare` tops the stored tokens up to its step. A row's
 * requests name new tokens in every round, and the creators' cap is shared
 * out over the rows and rounds.
 */
export function patCreateRows({ stack, seeded, rounds = 1 }) {
  const half = Math.floor(seeded.userIds.length / 2);
  const creators = seeded.userIds.slice(0, half);
  const holders = seeded.userIds.slice(half);
  const steps = storedSteps.filter((step) => step <= holders.length * storedPerUser);
  const perUser = Math.floor(createsPerUser / (steps.length * rounds));
  const perRow = Math.min(maxCreatesPerRow, creators.length * perUser);
  const path = `/${TokenService.typeName}/${TokenService.method.createPersonalAccessToken.name}`;
  let stored = 0;
  return steps
    .filter(() => perRow > 0)
    .map((step) => ({
      name: `CreatePersonalAccessToken (${step.toLocaleString("en-US")} stored)`,
      service: "token-service",
      port: stack.ports.tokenGrpc,
      path,
      once: true,
      framesFor: (round) =>
        Array.from({ length: perRow }, (_, i) =>
          grpcFrame(
            toBinary(
              CreatePersonalAccessTokenRequestSchema,
              create(CreatePersonalAccessTokenRequestSchema, {
                userId: creators[i % creators.length],
                name: `bench-${round}-${step}-${i}`,
              }),
            ),
          ),
        ),
      prepare: async () => {
        await storeTokens(stack, holders, stored, step);
        stored = step;
      },
    }));
}

/**
 * Writes tokens number `from` to `to` straight into token-service's
 * collection, in the shape it stores (a hash, never a usable secret), each
 * in a free slot of its user: inserting them one by one through the RPC
 * would take minutes. With `to` below `from` (a new round's first row), it
 * removes tokens number `to` to `from` instead.
 */
async function storeTokens(stack, holders, from, to) {
  if (to === from) return;
  const env = stack.envOf("token-service");
  const client = new MongoClient(env.MONGODB_URI);
  const bar = progressBar(to > from ? "storing tokens" : "removing stored tokens", Math.abs(to - from));
  try {
    const pats = client.db(env.TOKEN_SERVICE_DATABASE).collection("personal_access_tokens");
    for (let start = to; start < from; start += insertBatch) {
      const names = [];
      for (let k = start; k < Math.min(from, start + insertBatch); k++) names.push(`stored-${k}`);
      await pats.deleteMany({ name: { $in: names } });
      bar.update(Math.min(from, start + insertBatch) - to);
    }
    for (let start = from; start < to; start += insertBatch) {
      const docs = [];
      for (let k = start; k < Math.min(to, start + insertBatch); k++) {
        const createTime = new Date();
        docs.push({
          _id: `pat_${randomBytes(12).toString("hex")}`,
          userId: holders[k % holders.length],
          name: `stored-${k}`,
          secretHash: randomBytes(32).toString("hex"),
          hint: "roster_pat_…none",
          scopes: [],
          createTime,
          expireTime: null,
          lastUseTime: null,
          slot: Math.floor(k / holders.length),
        });
      }
      await pats.insertMany(docs);
      bar.update(Math.min(to, start + insertBatch) - from);
    }
  } finally {
    await client.close();
  }
}
