import { describe, expect, it } from "vitest";
import { resolve } from "node:path";
import { readBackendEnvironment, readStartEnvironment } from "./config.js";

describe("backend environment", () => {
  it("when MONGODB_URI is blank then no URI is configured", () => {
    expect(readBackendEnvironment({ MONGODB_URI: "  " }).mongodbUri).toBeUndefined();
  });

  it("when no download location is set then MongoDB's own host is used, else the URL before the mirror", () => {
    expect(readBackendEnvironment({}).downloadUrl).toBe("https://fastdl.mongodb.org");
    expect(
      readBackendEnvironment({
        MONGOMS_DOWNLOAD_URL: "https://a.example",
        MONGOMS_DOWNLOAD_MIRROR: "https://b.example",
      }).downloadUrl,
    ).toBe("https://a.example");
    expect(readBackendEnvironment({ MONGOMS_DOWNLOAD_MIRROR: "https://b.example" }).downloadUrl).toBe(
      "https://b.example",
    );
  });

  it("when ROSTER_DOUBLE_DATA_DIR is unset, off or a relative path then it means the default, memory, or that directory", () => {
    expect(readBackendEnvironment({}).doubleDataDir).toBeUndefined();
    expect(readBackendEnvironment({ ROSTER_DOUBLE_DATA_DIR: " OFF " }).doubleDataDir).toBe("off");
    expect(readBackendEnvironment({ ROSTER_DOUBLE_DATA_DIR: ".data/mongo" }).doubleDataDir).toBe(
      resolve(".data/mongo"),
    );
  });
});

describe("npm start environment", () => {
  it("when nothing is set then the documented ports, the development keys, no TLS and the console at /console/", () => {
    expect(readStartEnvironment({})).toEqual({
      ports: { userGrpc: 50051, userHttp: 8051, tokenGrpc: 50052, tokenHttp: 8052 },
      apiKeys: undefined,
      serviceKey: undefined,
      signingKeySecret: undefined,
      tls: undefined,
      consolePath: "/console/",
    });
  });

  it("when a certificate, ports and a console path are set then the stack takes them", () => {
    const read = readStartEnvironment({
      ROSTER_TLS_CERT_FILE: "cert.pem",
      ROSTER_TLS_KEY_FILE: "key.pem",
      USER_SERVICE_PORT: "0",
      ROSTER_CONSOLE_PATH: "/admin/ui/",
    });
    expect(read.tls).toEqual({ certFile: "cert.pem", keyFile: "key.pem", caFile: undefined, clientAuth: undefined });
    expect(read.ports.userGrpc).toBe(0);
    expect(read.consolePath).toBe("/admin/ui/");
  });

  it("when ROSTER_CONSOLE is off then no console URL", () => {
    expect(readStartEnvironment({ ROSTER_CONSOLE: "off" }).consolePath).toBeUndefined();
  });
});
