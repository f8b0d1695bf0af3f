import { describe, expect, it } from "vitest";
import { resolve } from "node:path";
import { readBackendEnvironment } from "./config.js";

describe("backend environment", () => {
  it("when MONGODB_URI is blank then no URI is configured", () => {
    expect(readBackendEnvironment({ MONGODB_URI: "  " }).mongodbUri).toBeUndefined();
  });

  it("when no download location is set then MongoDB's own host is used, else the URL before the mirror", () => {
    expect(readBackendEnvironment({}).downloadUrl).toBe("https://fastdl.mongodb.org");
    expect(readBackendEnvironment({ MONGOMS_DOWNLOAD_URL: "https://a.example", MONGOMS_DOWNLOAD_MIRROR: "https://b.example" }).downloadUrl).toBe("https://a.example");
    expect(readBackendEnvironment({ MONGOMS_DOWNLOAD_MIRROR: "https://b.example" }).downloadUrl).toBe("https://b.example");
  });

  it("when ROSTER_DOUBLE_DATA_DIR is unset, off or a relative path then it means the default, memory, or that directory", () => {
    expect(readBackendEnvironment({}).doubleDataDir).toBeUndefined();
    expect(readBackendEnvironment({ ROSTER_DOUBLE_DATA_DIR: " OFF " }).doubleDataDir).toBe("off");
    expect(readBackendEnvironment({ ROSTER_DOUBLE_DATA_DIR: ".data/mongo" }).doubleDataDir).toBe(resolve(".data/mongo"));
  });
});
