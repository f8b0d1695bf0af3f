// The test suite starts no containers, so the deployment files are checked the way
// docker compose would read them, against the services' own configuration code.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ConfigError, Env } from "@roster/runtime";
import { loadConfig as loadTokenConfig } from "@roster/token-service";
import { loadConfig as loadUserConfig } from "@roster/user-service";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const repoFile = (name: string) => readFileSync(fileURLToPath(new URL(`../${name}`, import.meta.url)), "utf8");

interface ComposeService {
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
}

const compose = parse(repoFile("compose.yaml"), { merge: true }) as { services: Record<string, ComposeService> };

/** Each Roster service's configuration code and its grpc/http ports once configured. */
const roster = {
  "user-service": loadUserConfig,
  "token-service": loadTokenConfig,
} satisfies Record<string, (env: Env) => { grpcPort: number; httpPort: number }>;
type RosterService = keyof typeof roster;

// What an operator's .env supplies for every ${VARIABLE}: a fresh random secret.
const dotEnv = new Map<string, string>();
const interpolate = (value: string) =>
  value.replace(/\$\{(\w+)\}/g, (_, name: string) => {
    if (!dotEnv.has(name)) dotEnv.set(name, randomBytes(30).toString("base64url"));
    return dotEnv.get(name)!;
  });

function composeEnv(service: RosterService): Env {
  const environment = compose.services[service]?.environment ?? {};
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => [name, interpolate(String(value ?? ""))]),
  );
}

/** The variables a service refuses to start without: what its configuration code reports missing from an empty environment. */
function requiredVariables(service: RosterService): string[] {
  try {
    roster[service]({});
    return [];
  } catch (err) {
    if (!(err instanceof Error) || err.name !== "ConfigError") throw err;
    return (err as ConfigError).problems.map((p) => p.variable);
  }
}

/** Every URL in a loaded configuration, by the field that holds it. */
function urlsOf(config: object): [string, URL][] {
  return Object.entries(config).flatMap(([field, value]): [string, URL][] => {
    if (typeof value !== "string" || !/^[a-z+]+:\/\//.test(value)) return [];
    return [[field, new URL(value)]];
  });
}

describe.each(Object.keys(roster) as RosterService[])("compose.yaml's %s", (service) => {
  it("when compose starts it then every variable its configuration requires is set", () => {
    const env = composeEnv(service);
    const required = requiredVariables(service);
    expect(required.filter((name) => (env[name] ?? "") === "")).toEqual([]);
    expect(() => roster[service](env)).not.toThrow();
  });

  it("when it calls out then every URL in its configuration names a compose service, on a port that service listens on", () => {
    const config = roster[service](composeEnv(service));
    const wrong = urlsOf(config).flatMap(([field, url]) => {
      const target = url.hostname;
      if (!(target in compose.services)) return [`${field}: ${url.href} (no service "${target}")`];
      if (!(target in roster)) return [];
      const ports = roster[target as RosterService](composeEnv(target as RosterService));
      return [ports.grpcPort, ports.httpPort].includes(Number(url.port))
        ? []
        : [`${field}: ${url.href} (${target} does not listen on ${url.port})`];
    });
    expect(wrong).toEqual([]);
  });
});

describe("required variables", () => {
  it("when read from the configuration code then token-service's signing-key secret is among them", () => {
    expect(requiredVariables("token-service")).toContain("ROSTER_SIGNING_KEY_SECRET");
  });
});

describe("the Docker build context", () => {
  it("when an image is built then no .env file, at the root or in a package, is copied into it", () => {
    const ignored = repoFile(".dockerignore")
      .split("\n")
      .map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining([".env", "**/.env"]));
  });
});
