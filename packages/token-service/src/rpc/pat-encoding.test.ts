import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { CreatePersonalAccessTokenResponseSchema, PersonalAccessTokenSchema } from "@roster/client";
import { prng } from "@roster/runtime/testing";
import { describe, expect, it } from "vitest";
import type { PatRecord } from "../domain/pat-store.js";
import { patMessage } from "./convert.js";
import { encodeCreatePersonalAccessTokenResponse } from "./pat-encoding.js";

type ResponseInit = MessageInitShape<typeof CreatePersonalAccessTokenResponseSchema>;

const alphabet = ["a", "Z", "0", " ", ".", ":", "é", "ß", "漢", "😀", "\ud800", "\udc00", "\0", "\u007f", "\u0080"];

function generatedRecord(random: () => number, i: number): PatRecord {
  const text = (max: number) =>
    Array.from({ length: Math.floor(random() * max) }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
  // Mostly ordinary times, some before 1970 (ten-byte varints) and some on whole seconds (no nanos).
  const time = () => {
    const ms = Math.floor(random() * 2 ** 42) - (random() < 0.1 ? 2 ** 41 : 0);
    return new Date(random() < 0.2 ? ms - (ms % 1000) : ms);
  };
  return {
    id: random() < 0.05 ? "" : `pat_${i}${text(24)}`,
    userId: `usr_${text(24)}`,
    name: text(64),
    secretHash: "never encoded",
    hint: text(16),
    scopes: Array.from({ length: Math.floor(random() * 5) }, () => (random() < 0.1 ? "" : text(20))),
    createTime: random() < 0.05 ? new Date(0) : time(),
    expireTime: random() < 0.5 ? time() : undefined,
    lastUseTime: random() < 0.3 ? time() : undefined,
  };
}

const protobufEs = (response: ResponseInit) =>
  toBinary(CreatePersonalAccessTokenResponseSchema, create(CreatePersonalAccessTokenResponseSchema, response));

describe("the CreatePersonalAccessToken response encoder", () => {
  it("when generated tokens are encoded then every byte equals protobuf-es's toBinary", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const random = prng(seed);
      const response: ResponseInit = {
        personalAccessToken: patMessage(generatedRecord(random, seed)),
        secret: random() < 0.1 ? "" : `roster_pat_${seed}`,
      };
      expect(Buffer.from(encodeCreatePersonalAccessTokenResponse(response)).toString("hex"), `seed ${seed}`).toBe(
        Buffer.from(protobufEs(response)).toString("hex"),
      );
    }
  });

  it("when a response is empty, partly set or carries unknown fields then its bytes equal protobuf-es's", () => {
    const withUnknown = create(PersonalAccessTokenSchema, { id: "pat_1" });
    withUnknown.$unknown = [{ no: 99, wireType: 0, data: new Uint8Array([1]) }];
    for (const response of [
      {},
      { secret: "s" },
      { personalAccessToken: {} },
      { personalAccessToken: { createTime: {} } },
      { personalAccessToken: withUnknown, secret: "s" },
    ]) {
      expect(Buffer.from(encodeCreatePersonalAccessTokenResponse(response))).toEqual(Buffer.from(protobufEs(response)));
    }
  });

  it("when a token's strings are longer than the shared buffer then the bytes are still protobuf-es's", () => {
    const response: ResponseInit = {
      personalAccessToken: { id: "big", name: "é".repeat(40_000), scopes: ["漢".repeat(30_000)] },
      secret: "s".repeat(70_000),
    };
    expect(Buffer.from(encodeCreatePersonalAccessTokenResponse(response))).toEqual(Buffer.from(protobufEs(response)));
  });
});
