import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { firstCalls, shellQuoted } from "./first-calls.js";

/** The words a POSIX shell makes of `line`'s arguments, as the called program receives them. */
function words(line: string, env: Record<string, string> = {}): string[] {
  const args = line.replace(/^\S+/, "");
  const out = execFileSync("sh", ["-c", `printf '%s\\0'${args}`], {
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  return out.split("\0").slice(0, -1);
}

const ports = { userGrpc: 50051, userHttp: 8051 };

describe("firstCalls", () => {
  it("when a value holds quotes, spaces and $ then the shell passes it through unchanged", () => {
    const value = `it's a "key" $HOME \\n`;
    expect(words(`x ${shellQuoted(value)}`)).toEqual([value]);
  });

  it("when the key is known then both lines carry it and the request as single words", () => {
    const { grpcurl, curl } = firstCalls({ ports, apiKey: "roster_key_abc" });
    expect(words(grpcurl)).toEqual([
      "-plaintext",
      "-H",
      "authorization: Bearer roster_key_abc",
      "-d",
      '{"page_size": 10}',
      "127.0.0.1:50051",
      "roster.user.v1.UserService/SearchUsers",
    ]);
    expect(words(curl)).toEqual([
      "-s",
      "-H",
      "content-type: application/json",
      "-H",
      "authorization: Bearer roster_key_abc",
      "-d",
      '{"page_size": 10}',
      "http://127.0.0.1:8051/roster.user.v1.UserService/SearchUsers",
    ]);
  });

  it("when the keys come from configuration then the lines read the key from $ROSTER_KEY", () => {
    const { grpcurl } = firstCalls({ ports });
    expect(words(grpcurl, { ROSTER_KEY: "mine" })).toContain("authorization: Bearer mine");
  });

  it("when the services serve TLS with a CA file then grpcurl and curl verify with it over https", () => {
    const { grpcurl, curl } = firstCalls({ ports, apiKey: "k", tls: { caFile: "certs/ca.pem" } });
    expect(words(grpcurl).slice(0, 2)).toEqual(["-cacert", "certs/ca.pem"]);
    expect(words(curl)).toEqual(
      expect.arrayContaining([
        "--cacert",
        "certs/ca.pem",
        "https://127.0.0.1:8051/roster.user.v1.UserService/SearchUsers",
      ]),
    );
  });
});
