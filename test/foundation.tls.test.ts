// Both services on TLS, calling each other over https://, as a deployment with
// its own CA runs them; certificates are made for this run and thrown away.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import { closeClient, createUserServiceClient, type ClientTls, type RosterClientOptions } from "@roster/client";
import { startStack, type ServiceProcess, type Stack, type StackTls } from "@roster/dev-stack";
import { createTestCertificateAuthority, type CertificateAndKey } from "@roster/test-pki";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, codeOf, grpc, plainClient, unary } from "./helpers/plain-grpc.js";
import { blocks, readmeCommands, readmeCurls } from "./helpers/readme.js";
import { startServiceOnFreePorts } from "./helpers/extra-services.js";
import { stackInfo } from "./helpers/stack-info.js";
import { grpcurlDir } from "./helpers/tools.js";
import { newPat, outcome, rosterClients, userWithPermissions, type Ports } from "./helpers/tokens.js";

const shared = stackInfo();
const dir = mkdtempSync(join(tmpdir(), "roster-tls-"));
const file = (name: string, pem: string) => {
  const path = join(dir, name);
  writeFileSync(path, pem, { mode: 0o600 });
  return path;
};

let ca: string;
let client: CertificateAndKey;
let files: StackTls & { otherCaFile: string };
const stacks: Stack[] = [];
const processes: ServiceProcess[] = [];
const openClients: object[] = [];

beforeAll(async () => {
  const authority = await createTestCertificateAuthority("Roster Test CA");
  const other = await createTestCertificateAuthority("Another CA");
  // One certificate per deployment here: both services serve it and show it to each other as clients.
  const service = await authority.issue({
    commonName: "roster",
    dnsNames: ["localhost"],
    ips: ["127.0.0.1"],
    usage: "server-and-client",
  });
  client = await authority.issue({ commonName: "a backend", usage: "client" });
  ca = authority.cert;
  // The names the README's examples use.
  file("client.pem", client.cert);
  file("client-key.pem", client.key);
  files = {
    certFile: file("service.pem", service.cert),
    keyFile: file("service-key.pem", service.key),
    caFile: file("ca.pem", authority.cert),
    otherCaFile: file("other-ca.pem", other.cert),
  };
});

afterAll(async () => {
  openClients.splice(0).forEach(closeClient);
  await Promise.all(processes.map((p) => p.stop()));
  await Promise.all(stacks.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function tlsStack(clientAuth: StackTls["clientAuth"]): Promise<Stack> {
  const stack = await startStack({ purpose: "test", mongodbUri: shared.mongodbUri, tls: { ...files, clientAuth } });
  stacks.push(stack);
  return stack;
}

function portsOf(stack: Stack): Ports {
  const [user, token] = [stack.services["user-service"], stack.services["token-service"]];
  return { user: { grpc: user.grpcPort, http: user.httpPort }, token: { grpc: token.grpcPort, http: token.httpPort } };
}

function clientsOf(ports: Ports, credential: string, tls: ClientTls) {
  const clients = rosterClients(ports, credential, tls);
  openClients.push(clients.users, clients.roles, clients.tokens);
  return clients;
}

function userClient(options: RosterClientOptions) {
  const client = createUserServiceClient(options);
  openClients.push(client);
  return client;
}

async function failureCode(call: Promise<unknown>): Promise<Code | "OK"> {
  try {
    await call;
    return "OK";
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

/** A PAT exchanged on token-service (which asks user-service over TLS), and the access token used on user-service (whose keys come from token-service's JWKS over TLS). */
async function exchangeAndUse(ports: Ports, apiKey: string, tls: ClientTls): Promise<string> {
  const clients = clientsOf(ports, apiKey, tls);
  const userId = await userWithPermissions(clients, ["roster:users:read"]);
  const pat = await newPat(clients, userId);
  const { accessToken } = await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret });
  const asUser = clientsOf(ports, accessToken, tls);
  const { user } = await asUser.users.getUser({ userId });
  return user?.id === userId ? "OK" : "wrong user";
}

describe("both services on TLS, client certificates not required", () => {
  let stack: Stack;
  let ports: Ports;
  beforeAll(async () => {
    stack = await tlsStack("none");
    ports = portsOf(stack);
  });

  it("when a PAT is exchanged and its access token used then both calls between the services succeed over TLS", async () => {
    expect(await exchangeAndUse(ports, stack.apiKey, { ca })).toBe("OK");
  });

  it.each<RosterClientOptions["transport"]>(["grpc-js", "connect", "grpc", "grpc-web"])(
    "when a %s client trusts the CA then it is served",
    async (transport) => {
      const options: RosterClientOptions =
        transport === "grpc-js"
          ? { transport, address: `127.0.0.1:${ports.user.grpc}`, credential: stack.apiKey, tls: { ca } }
          : { transport, baseUrl: `https://127.0.0.1:${ports.user.http}`, credential: stack.apiKey, tls: { ca } };
      const missing = await outcome(() => userClient(options).getUser({ userId: "u_missing" }));
      expect(missing).toBe(`${Code.NotFound}/USER_NOT_FOUND`);
    },
  );

  it("when a client does not trust the CA then nothing is served, on either port", async () => {
    const grpcJs = userClient({
      transport: "grpc-js",
      address: `127.0.0.1:${ports.user.grpc}`,
      credential: stack.apiKey,
      tls: {},
    });
    const connect = userClient({
      transport: "connect",
      baseUrl: `https://127.0.0.1:${ports.user.http}`,
      credential: stack.apiKey,
    });
    expect(await failureCode(grpcJs.getUser({ userId: "u_missing" }))).toBe(Code.Unavailable);
    expect(await failureCode(connect.getUser({ userId: "u_missing" }))).toBe(Code.Unavailable);
  });

  it("when a plaintext gRPC client calls the TLS port then the call fails with UNAVAILABLE", async () => {
    const plain = plainClient("roster/user/v1/user_service.proto", "roster.user.v1.UserService", ports.user.grpc);
    try {
      expect(await codeOf(() => unary(plain, "getUser", { userId: "u_missing" }, bearer(stack.apiKey), 5_000))).toBe(
        grpc.status.UNAVAILABLE,
      );
    } finally {
      plain.close();
    }
  });
});

describe("both services on TLS, client certificates required", () => {
  let stack: Stack;
  let ports: Ports;
  beforeAll(async () => {
    stack = await tlsStack("require");
    ports = portsOf(stack);
  });

  it("when the services show their certificates to each other then exchange and token use succeed", async () => {
    expect(await exchangeAndUse(ports, stack.apiKey, { ca, ...client })).toBe("OK");
  });

  it("when a client has no certificate then it is refused on both ports, and one with a certificate from the CA is served", async () => {
    const grpcJs = userClient({
      transport: "grpc-js",
      address: `127.0.0.1:${ports.user.grpc}`,
      credential: stack.apiKey,
      tls: { ca },
    });
    const connect = userClient({
      transport: "connect",
      baseUrl: `https://127.0.0.1:${ports.user.http}`,
      credential: stack.apiKey,
      tls: { ca },
    });
    expect(await failureCode(grpcJs.getUser({ userId: "u_missing" }))).toBe(Code.Unavailable);
    // Under TLS 1.3 the refusal can reach an HTTP/2 client after it sent the request, which then sees it cancelled.
    expect([Code.Unavailable, Code.Canceled]).toContain(await failureCode(connect.getUser({ userId: "u_missing" })));
    const withCertificate = userClient({
      transport: "grpc-js",
      address: `127.0.0.1:${ports.user.grpc}`,
      credential: stack.apiKey,
      tls: { ca, ...client },
    });
    expect(await outcome(() => withCertificate.getUser({ userId: "u_missing" }))).toBe(
      `${Code.NotFound}/USER_NOT_FOUND`,
    );
  });
});

describe("the README's TLS examples, against services requiring client certificates", () => {
  const run = promisify(execFile);
  let stack: Stack;
  let localise: (text: string) => string;
  beforeAll(async () => {
    stack =
      stacks.find((s) => s.envOf("user-service").ROSTER_TLS_CLIENT_AUTH === "require") ?? (await tlsStack("require"));
    const ports = portsOf(stack);
    localise = (text) =>
      text
        .replaceAll("certs/", `${dir}/`)
        .replaceAll("127.0.0.1:8051", `127.0.0.1:${ports.user.http}`)
        .replaceAll("127.0.0.1:50051", `127.0.0.1:${ports.user.grpc}`);
    await clientsOf(ports, stack.apiKey, { ca, ...client }).users.createUser({ username: "ada" });
  });

  const tlsCurls = readmeCurls.filter((line) => line.includes("https://"));
  it("when read then it shows curl over TLS", () => {
    expect(tlsCurls.length).toBeGreaterThanOrEqual(2);
  });

  it.each(tlsCurls)("when `%s` runs then it succeeds", async (command) => {
    const { stdout } = await run("sh", ["-c", localise(command)], {
      env: { ...process.env, ROSTER_KEY: stack.apiKey },
      timeout: 10_000,
    });
    const body = JSON.parse(stdout) as Record<string, unknown>;
    expect(body.code).toBeUndefined();
    expect(Object.keys(body).length).toBeGreaterThan(0);
  });

  const tlsGrpcurls = readmeCommands.filter((line) => line.startsWith("grpcurl ") && line.includes("-cacert"));
  it.each(tlsGrpcurls)("when `%s` runs with the real grpcurl then it answers over mutual TLS", async (command) => {
    const env = { ...process.env, PATH: `${grpcurlDir()}:${process.env.PATH ?? ""}`, ROSTER_KEY: stack.apiKey };
    const { stdout } = await run("sh", ["-c", localise(command)], { env, timeout: 10_000 });
    if (command.endsWith(" list")) expect(stdout.split("\n")).toContain("roster.user.v1.UserService");
    else expect(JSON.parse(stdout)).toMatchObject({ user: { username: "ada" } });
  });

  it("when the Node snippet with tls runs then it finds the user", async () => {
    const snippet = blocks("ts").find((block) => block.includes("tls"));
    const snippetDir = mkdtempSync(join(fileURLToPath(new URL(".", import.meta.url)), ".readme-tls-"));
    try {
      const path = join(snippetDir, "snippet.mjs");
      const find = `const { user } = await users.getUserByIdentifier({ identifier: { case: "username", value: "ada" } });`;
      writeFileSync(
        path,
        `${localise(snippet ?? "")}\n${find}\nconsole.log(JSON.stringify({ username: user?.username }));\n`,
      );
      const { stdout } = await run(process.execPath, [path], {
        env: { ...process.env, ROSTER_KEY: stack.apiKey },
        timeout: 10_000,
      });
      expect(JSON.parse(stdout)).toEqual({ username: "ada" });
    } finally {
      rmSync(snippetDir, { recursive: true, force: true });
    }
  });
});

describe("a service configured with the wrong CA", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = stacks[0] ?? (await tlsStack("none"));
  });

  /** Another copy of `name` beside the stack, trusting only the other CA. */
  async function distrustful(name: "user-service" | "token-service"): Promise<Ports> {
    const service = await startServiceOnFreePorts(name, {
      ...stack.envOf(name),
      ROSTER_TLS_CA_FILE: files.otherCaFile,
    });
    processes.push(service);
    const ports = portsOf(stack);
    return name === "user-service"
      ? { ...ports, user: { grpc: service.grpcPort, http: service.httpPort } }
      : { ...ports, token: { grpc: service.grpcPort, http: service.httpPort } };
  }

  it("when token-service cannot verify user-service then exchange fails with UNAVAILABLE and nothing is minted", async () => {
    const ports = await distrustful("token-service");
    const good = clientsOf(portsOf(stack), stack.apiKey, { ca });
    const userId = await userWithPermissions(good, ["roster:users:read"]);
    const pat = await newPat(good, userId);
    const viaDistrustful = clientsOf(ports, stack.apiKey, { ca });
    expect(
      await outcome(() => viaDistrustful.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret })),
    ).toBe(`${Code.Unavailable}/USER_SERVICE_UNAVAILABLE`);
  });

  it("when user-service cannot verify token-service's key server then access tokens are refused with UNAVAILABLE", async () => {
    const ports = await distrustful("user-service");
    const good = clientsOf(portsOf(stack), stack.apiKey, { ca });
    const userId = await userWithPermissions(good, ["roster:users:read"]);
    const { accessToken } = await good.tokens.exchangePersonalAccessToken({
      personalAccessToken: (await newPat(good, userId)).secret,
    });
    const viaDistrustful = clientsOf(ports, accessToken, { ca });
    expect(await outcome(() => viaDistrustful.users.getUser({ userId }))).toBe(
      `${Code.Unavailable}/SIGNING_KEYS_UNAVAILABLE`,
    );
  });
});
