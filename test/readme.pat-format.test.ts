// The README's description of a PAT, checked against PATs the service generates:
// what a secret scanner built from it would find and confirm.
import { crc32 } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blocks } from "./helpers/readme.js";
import { stackInfo } from "./helpers/stack-info.js";
import { newPat, outcome, rosterClients, userWithPermissions, type RosterClients } from "./helpers/tokens.js";

const stack = stackInfo();
const [scannerPattern = ""] = blocks("regex").map((block) => block.trim());
const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** The checksum as the README states it: CRC-32 of the first 54 characters, 6 base62 digits, most significant first, padded with 0. */
function readmeChecksum(pat: string): string {
  let value = crc32(pat.slice(0, 54));
  let digits = "";
  for (let i = 0; i < 6; i++, value = Math.floor(value / 62)) digits = alphabet[value % 62] + digits;
  return digits;
}

describe("the README's PAT format", () => {
  let clients: RosterClients;
  let pats: string[];

  beforeAll(async () => {
    clients = rosterClients(stack, stack.apiKey);
    const userId = await userWithPermissions(clients, ["roster:users:read"]);
    pats = [];
    for (let i = 0; i < 40; i++) pats.push((await newPat(clients, userId)).secret);
  });
  afterAll(() => clients?.close());

  it("when generated PATs are scanned with the README's pattern then each is found whole, in text", () => {
    expect(scannerPattern).not.toBe("");
    for (const pat of pats) {
      expect(pat).toHaveLength(60);
      expect([...`token=${pat}\n`.matchAll(new RegExp(scannerPattern, "g"))].map((m) => m[0])).toEqual([pat]);
    }
  });

  it("when the README's checksum is recomputed then every generated PAT carries it", () => {
    expect(pats.map((pat) => pat.slice(-6))).toEqual(pats.map(readmeChecksum));
  });

  it("when a PAT is truncated then the pattern does not find it", () => {
    const truncated = pats[0]?.slice(0, 59) ?? "";
    expect(new RegExp(scannerPattern).test(`token=${truncated} `)).toBe(false);
  });

  it("when one character of a PAT is mistyped then its checksum no longer holds and the exchange says TOKEN_MALFORMED", async () => {
    const pat = pats[0] ?? "";
    const mistyped = `${pat.slice(0, 20)}${pat[20] === "a" ? "b" : "a"}${pat.slice(21)}`;
    expect(readmeChecksum(mistyped)).not.toBe(mistyped.slice(-6));
    expect(await outcome(() => clients.tokens.exchangePersonalAccessToken({ personalAccessToken: mistyped }))).toBe(
      "16/TOKEN_MALFORMED",
    );
  });
});
