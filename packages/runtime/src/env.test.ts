import { describe, expect, it } from "vitest";
import { ConfigError, EnvReader } from "./env.js";

describe("EnvReader", () => {
  it("when variables are unset then defaults apply and the result is frozen", () => {
    const reader = new EnvReader({});
    const config = reader.done({ port: reader.port("PORT", 50051), level: reader.oneOf("LEVEL", ["a", "b"], "a") });
    expect(config).toEqual({ port: 50051, level: "a" });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("when a port is 0 then it is accepted (tests ask the OS for a free port)", () => {
    const reader = new EnvReader({ PORT: "0" });
    expect(reader.done({ port: reader.port("PORT", 1) }).port).toBe(0);
  });

  it("when several variables are wrong then one ConfigError names every one of them", () => {
    const reader = new EnvReader({ PORT: "http", LEVEL: "loud", URI: "not a url", KEYS: "short" });
    reader.port("PORT", 1);
    reader.oneOf("LEVEL", ["info"], "info");
    reader.url("URI", "mongodb://x", ["mongodb:"]);
    reader.apiKeys("KEYS");
    let error: unknown;
    try {
      reader.done({});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual(["PORT", "LEVEL", "URI", "KEYS"]);
    expect((error as ConfigError).message).toContain("PORT must be a whole number");
  });

  it("when an integer is out of range then the error gives the bound", () => {
    const reader = new EnvReader({ N: "70000" });
    reader.port("N", 1);
    expect(() => reader.done({})).toThrow(/N must be at most 65535/);
  });

  it("when a URL has the wrong scheme then it is refused", () => {
    const reader = new EnvReader({ URI: "http://x" });
    reader.url("URI", "mongodb://x", ["mongodb:", "mongodb+srv:"]);
    expect(() => reader.done({})).toThrow(/URI must use mongodb: or mongodb\+srv:/);
  });
});
