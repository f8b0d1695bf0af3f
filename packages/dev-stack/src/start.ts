// `npm start`: both services on their documented ports, on the selected MongoDB backend.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readStartEnvironment } from "./config.js";
import { firstCalls } from "./first-calls.js";
import { randomKey, startStack, type ServiceName } from "./stack.js";

const dataDir = join(process.cwd(), ".data");
const credentialsFile = join(dataDir, "dev-credentials.json");

interface DevCredentials {
  apiKey: string;
  serviceKey: string;
  signingKeySecret: string;
}

/**
 * Development keys, generated once and kept beside the data so they survive
 * restarts (token-service cannot open its stored signing keys with another secret).
 */
function devCredentials(): DevCredentials {
  try {
    return JSON.parse(readFileSync(credentialsFile, "utf8")) as DevCredentials;
  } catch {
    const created = {
      apiKey: randomKey("roster_key_"),
      serviceKey: randomKey("roster_svc_"),
      signingKeySecret: randomKey("roster_sks_"),
    };
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(credentialsFile, JSON.stringify(created, null, 2) + "\n", { mode: 0o600 });
    return created;
  }
}

let stopping = false;
/** Stops both services (each drains on its own SIGTERM) and exits with `code`, or 1 if stopping failed. */
function shutdown(code: number): void {
  if (stopping) return;
  stopping = true;
  stack.stop().then(
    () => process.exit(code),
    () => process.exit(1),
  );
}

const { ports, apiKeys: configured, serviceKey, signingKeySecret, tls, consolePath } = readStartEnvironment();
const credentials = devCredentials();
const stack = await startStack({
  purpose: "start",
  // Beside the dev credentials: the stored signing keys open only with the secret kept there.
  doubleDataDir: join(dataDir, "mongo"),
  ports,
  apiKey: configured ?? credentials.apiKey,
  serviceKey: serviceKey ?? credentials.serviceKey,
  signingKeySecret: signingKeySecret ?? credentials.signingKeySecret,
  tls,
  log: (line) => console.log(line),
  onServiceLine: (_service, line) => console.log(line),
  onServiceExit: (service, { code, signal }) => {
    console.error(
      `${service} exited unexpectedly (${signal === null ? `exit code ${code}` : `killed by ${signal}`}); stopping the stack`,
    );
    shutdown(1);
  },
});
const over = tls === undefined ? "" : "  (TLS)";
const pid = (service: ServiceName) => stack.services[service].child.pid;
console.log(
  `user-service   grpc 127.0.0.1:${stack.ports.userGrpc}  http 127.0.0.1:${stack.ports.userHttp}${over}  pid ${pid("user-service")}`,
);
console.log(
  `token-service  grpc 127.0.0.1:${stack.ports.tokenGrpc}  http 127.0.0.1:${stack.ports.tokenHttp}${over}  pid ${pid("token-service")}`,
);
// user-service validates these two and refuses to start on a bad value; here they only name the URL.
if (consolePath !== undefined) {
  console.log(
    `console        ${tls === undefined ? "http" : "https"}://127.0.0.1:${stack.ports.userHttp}${consolePath}  (sign in with a management API key)`,
  );
}
if (configured === undefined) {
  console.log(`management API key (kept in ${credentialsFile}):\n  export ROSTER_KEY=${stack.apiKey}`);
}
const next = firstCalls({ ports: stack.ports, apiKey: configured === undefined ? stack.apiKey : undefined, tls });
const keyFrom = configured === undefined ? "" : " (with ROSTER_KEY set to one of your ROSTER_API_KEYS)";
console.log(`next, in another terminal${keyFrom}:\n  ${next.grpcurl}\n  ${next.curl}`);

process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));
