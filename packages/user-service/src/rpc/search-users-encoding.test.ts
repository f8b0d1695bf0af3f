import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { SearchUsersResponseSchema, UserSchema } from "@roster/client";
import { prng } from "@roster/runtime/testing";
import { describe, expect, it } from "vitest";
import type { UserRecord } from "../domain/user-store.js";
import { userInit, userToProto } from "./convert.js";
import { encodeSearchUsersResponse } from "./search-users-encoding.js";

type ResponseInit = MessageInitShape<typeof SearchUsersResponseSchema>;

const alphabet = ["a", "Z", "0", " ", ".", "@", "é", "ß", "漢", "😀", "\ud800", "\udc00", "\0", "\u007f", "\u0080"];

function generatedUser(random: () => number, i: number): UserRecord {
  const text = (max: number) =>
    Array.from({ length: Math.floor(random() * max) }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
  const maybe = <T>(value: T, p = 0.7) => (random() < p ? value : undefined);
  const time = () => new Date(Math.floor(random() * 2 ** 42) - (random() < 0.05 ? 2 ** 41 : 0));
  const rich = random() < 0.15;
  return {
    id: `u${i}${text(30)}`,
    username: maybe(text(60)),
    email: maybe(`${text(20)}@example.com`),
    emailVerified: random() < 0.5,
    phone: maybe(`+49${Math.floor(random() * 1e10)}`),
    phoneVerified: random() < 0.5,
    name: maybe(text(300)),
    avatarUrl: maybe("https://example.com/" + text(200), 0.2),
    profile: rich ? { givenName: text(10), address: { locality: text(8) } } : {},
    customData: rich && random() < 0.5 ? { plan: text(5), seats: 3, tags: ["a", null, true] } : {},
    identities:
      rich && random() < 0.5 ? [{ target: "github", providerUserId: text(10), details: {}, linkTime: time() }] : [],
    roleIds: [],
    suspended: random() < 0.3,
    tokenEpoch: 0,
    password: maybe({ kind: "argon2id", hash: "x", setTime: time() } as unknown as UserRecord["password"], 0.5),
    createTime: time(),
    updateTime: time(),
    lastSignInTime: maybe(time(), 0.4),
    failedAttempts: { count: 0 },
    lockUntil: maybe(time(), 0.2),
  };
}

const protobufEs = (response: ResponseInit) =>
  toBinary(SearchUsersResponseSchema, create(SearchUsersResponseSchema, response));

describe("the SearchUsers response encoder", () => {
  it("when pages of generated users are encoded then every byte equals protobuf-es's toBinary", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = prng(seed);
      const now = new Date(2 ** 41);
      const users = Array.from({ length: Math.floor(random() * 30) }, (_, i) => generatedUser(random, i));
      const response: ResponseInit = {
        users: users.map((u) =>
          random() < 0.2 ? userToProto(u, now) : userInit({ ...u, hasPassword: u.password !== undefined }, now),
        ),
        nextPageToken: random() < 0.5 ? "" : "token-" + seed,
        totalSize: [0, 1, 127, 128, 2 ** 31 - 1, -1, -(2 ** 31)][seed % 7],
        totalSizeExact: random() < 0.5,
        relevanceScores: users.map(() => (random() < 0.3 ? 1 : random())),
      };
      expect(Buffer.from(encodeSearchUsersResponse(response)).toString("hex"), `seed ${seed}`).toBe(
        Buffer.from(protobufEs(response)).toString("hex"),
      );
    }
  });

  it("when a response is empty, or only partly set, then its bytes equal protobuf-es's", () => {
    for (const response of [{}, { users: [] }, { users: [{}] }, { users: [{ id: "x" }], totalSizeExact: true }]) {
      expect(Buffer.from(encodeSearchUsersResponse(response))).toEqual(Buffer.from(protobufEs(response)));
    }
  });

  it("when a user's strings are longer than the shared buffer then the bytes are still protobuf-es's", () => {
    const user = { id: "big", name: "é".repeat(40_000), username: "漢" };
    const response: ResponseInit = { users: [user, create(UserSchema, user)], nextPageToken: "n".repeat(70_000) };
    expect(Buffer.from(encodeSearchUsersResponse(response))).toEqual(Buffer.from(protobufEs(response)));
  });
});
