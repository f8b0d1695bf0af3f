// Preloaded into a service (NODE_OPTIONS=--import) to write a CPU profile of
// its whole life to $ROSTER_BENCH_PROFILE_DIR; Node refuses --cpu-prof in NODE_OPTIONS.
// The benchmark also calls profileThisProcess for itself, where the embedded database runs.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

/** Profiles this process until it exits, then writes <dir>/<pid>.cpuprofile. */
export function profileThisProcess(dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.start");
  // The in-thread session answers synchronously, so the profile is written before the process ends.
  process.once("exit", () => {
    session.post("Profiler.stop", (err, result) => {
      if (!err) writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}

const dir = process.env.ROSTER_BENCH_PROFILE_DIR;
if (dir) profileThisProcess(dir);
