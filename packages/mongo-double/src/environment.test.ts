import { describe, expect, it } from "vitest";
import { resolve } from "node:path";
import { parseDataDir, parsePort, readEnvironment } from "./environment.js";

describe("environment", () => {
  it("when MONGO_DOUBLE_PORT is unset or empty then the default port is used", () => {
    expect(readEnvironment({}).doublePort).toBe(27017);
    expect(parsePort(" ", 27017)).toBe(27017);
  });

  it("when a port is not a valid number then parsing fails", () => {
    expect(() => parsePort("abc", 1)).toThrow(/invalid port/);
    expect(() => parsePort("70000", 1)).toThrow(/invalid port/);
  });

  it("when MONGODB_URI is blank then no URI is configured", () => {
    expect(readEnvironment({ MONGODB_URI: "  " }).mongodbUri).toBeUndefined();
  });

  it("when ROSTER_DOUBLE_DATA_DIR is unset, off or a relative path then it means the default, memory, or that directory", () => {
    expect(readEnvironment({}).doubleDataDir).toBeUndefined();
    expect(parseDataDir(" OFF ")).toBe("off");
    expect(readEnvironment({ ROSTER_DOUBLE_DATA_DIR: ".data/mongo" }).doubleDataDir).toBe(resolve(".data/mongo"));
  });
});
