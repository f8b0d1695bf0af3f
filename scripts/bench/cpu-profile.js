// Preloaded into a service (NODE_OPTIONS=--import) to write a CPU profile of
// its whole life to $ROSTER_BENCH_PROFILE_DIR; Node refuses --cpu-prof in NODE_OPTIONS.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

const dir = process.env.ROSTER_BENCH_PROFILE_DIR;
if (dir) {
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
