// Servers under load run in their own process so they do not share a core
// with the load generator or with each other.
import { fork } from "node:child_process";

/**
 * Forks `script` (which must call serveChild) and resolves once it listens.
 * Returns its port and a stop() that ends it (SIGTERM, then SIGKILL).
 * `execArgv` passes Node flags, e.g. --cpu-prof to profile a server.
 * cpuMicros() resolves the CPU time (user + system) the server has used so far:
 * unlike req/s, CPU per call hardly moves when other processes share the cores.
 */
export function startServerProcess(
  script,
  args = [],
  { startTimeoutMs = 20_000, env = process.env, execArgv = [] } = {},
) {
  const child = fork(script, args, { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"], env });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${script} ${args.join(" ")} did not start within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
    child.once("message", (message) => {
      clearTimeout(timer);
      resolve({ port: message.port, pid: child.pid, cpuMicros: () => askCpu(child), stop });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} ${args.join(" ")} exited with ${code} before listening`));
    });
  });
}

function askCpu(child) {
  return new Promise((resolve) => {
    child.once("message", (message) => resolve(message.cpuMicros));
    child.send("cpu");
  });
}

/** In the child: starts the server, reports its port, closes it on SIGTERM or when the parent goes away. */
export async function serveChild(start) {
  const { port, close } = await start();
  const stop = async () => {
    await close();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("disconnect", stop);
  process.on("message", () => {
    const { user, system } = process.cpuUsage();
    process.send({ cpuMicros: user + system });
  });
  process.send({ port });
}
