import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  grpcPort: number;
  httpPort: number;
  /** Every line the process wrote so far (JSON log lines, mostly). */
  output: string[];
  /** Settles when the process has exited, however that came about. */
  exited: Promise<ExitStatus>;
  /** Sends `signal` and resolves with the exit code (null if killed by a signal). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/** How a process ended: its exit code, or the signal that killed it. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartServiceProcessOptions {
  name: string;
  /** The service's compiled entry point (dist/main.js). */
  entry: string;
  env: Record<string, string>;
  /** Working directory of the process (where it looks for a `.env` file). */
  cwd?: string;
  readyTimeoutMs?: number;
  /** Receives each output line as it arrives (e.g. to pass through to the terminal). */
  onLine?: (line: string) => void;
  /**
   * Runs the process in a process group of its own, so a Ctrl-C in the
   * terminal reaches only the parent, which then stops it with one signal.
   */
  detached?: boolean;
}

/** Children still running; killed if this process exits without stopping them (a failed test, say). */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Starts a service as a child process and resolves once it logs "listening"
 * with its ports. Fails with the process's own output if it exits first.
 */
export function startServiceProcess(options: StartServiceProcessOptions): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [options.entry], {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    // The IPC channel carries nothing: its end tells the service that this process is gone (onShutdownSignal).
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    detached: options.detached,
  });
  const output: string[] = [];
  running.add(child);
  const exited = new Promise<ExitStatus>((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const stop = async (signal: NodeJS.Signals = "SIGTERM", timeoutMs = 15_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const { code } = await exited;
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop("SIGKILL");
      reject(
        new Error(`${options.name} did not start within ${options.readyTimeoutMs ?? 30_000} ms:\n${output.join("\n")}`),
      );
    }, options.readyTimeoutMs ?? 30_000);
    const onLine = (line: string) => {
      output.push(line);
      options.onLine?.(line);
      if (!line.includes('"listening"')) return;
      try {
        const record = JSON.parse(line) as { msg?: string; grpcPort?: number; httpPort?: number };
        if (record.msg === "listening" && record.grpcPort !== undefined && record.httpPort !== undefined) {
          clearTimeout(timer);
          resolve({
            name: options.name,
            child,
            grpcPort: record.grpcPort,
            httpPort: record.httpPort,
            output,
            exited,
            stop,
          });
        }
      } catch {
        // not a log record
      }
    };
    createInterface({ input: child.stdout! }).on("line", onLine);
    createInterface({ input: child.stderr! }).on("line", onLine);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited with code ${code} before listening:\n${output.join("\n")}`));
    });
  });
}
