import { ConfigError } from "@roster/runtime";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

const base = { ROSTER_API_KEYS: "console-config-test-key-0123456789" };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env });
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => p.variable);
  }
}

describe("the console's configuration", () => {
  it("when nothing is set then the console is on at /console/ and forwards to the JWKS origin", () => {
    const config = loadConfig({ ...base, ROSTER_JWKS_URL: "https://tokens.internal:9443/.well-known/jwks.json" });
    expect(config.console).toEqual({ path: "/console/", tokenServiceHttpUrl: "https://tokens.internal:9443" });
  });

  it("when ROSTER_CONSOLE is off then there is no console", () => {
    expect(loadConfig({ ...base, ROSTER_CONSOLE: "off" }).console).toBeUndefined();
  });

  it("when the path is given without slashes then it is normalised", () => {
    expect(loadConfig({ ...base, ROSTER_CONSOLE_PATH: "ops/console" }).console?.path).toBe("/ops/console/");
  });

  it("when the path, switch or URL is malformed then each variable is named", () => {
    expect(problemsOf({ ROSTER_CONSOLE_PATH: "/a b/" })).toEqual(["ROSTER_CONSOLE_PATH"]);
    expect(problemsOf({ ROSTER_CONSOLE_PATH: "/" })).toEqual(["ROSTER_CONSOLE_PATH"]);
    expect(problemsOf({ ROSTER_CONSOLE_PATH: "/x/../y/" })).toEqual(["ROSTER_CONSOLE_PATH"]);
    expect(problemsOf({ ROSTER_CONSOLE: "yes" })).toEqual(["ROSTER_CONSOLE"]);
    expect(problemsOf({ ROSTER_CONSOLE_TOKEN_SERVICE_URL: "ftp://x" })).toEqual(["ROSTER_CONSOLE_TOKEN_SERVICE_URL"]);
  });
});

describe("the search configuration", () => {
  it("when SEARCH_RANKED_CANDIDATES is unset then free text ranks 100 matches; set, the number given", () => {
    expect(loadConfig(base).searchRankedCandidates).toBe(100);
    expect(loadConfig({ ...base, SEARCH_RANKED_CANDIDATES: "1000" }).searchRankedCandidates).toBe(1000);
  });

  it("when SEARCH_RANKED_CANDIDATES is not a whole number from 1 to 100000 then it is named", () => {
    for (const value of ["0", "100001", "1.5", "many"])
      expect(problemsOf({ SEARCH_RANKED_CANDIDATES: value })).toEqual(["SEARCH_RANKED_CANDIDATES"]);
  });
});
