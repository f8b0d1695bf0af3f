// Runs the MongoDB double standalone so services, benchmarks and any driver can use it.
// `--data-dir DIR` (or ROSTER_DOUBLE_DATA_DIR) keeps its data there across restarts; memory only otherwise.
import { parseArgs } from "node:util";
import { parseDataDir, readEnvironment } from "./environment.js";
import { startMongoDouble } from "./server.js";

const { doublePort, doubleDataDir } = readEnvironment();
const { values } = parseArgs({ options: { "data-dir": { type: "string" } } });
const dataDir = parseDataDir(values["data-dir"]) ?? doubleDataDir;
const server = await startMongoDouble({
  port: doublePort,
  ...(dataDir === undefined || dataDir === "off" ? {} : { dataDir }),
});
const where = server.dataFile === undefined ? "in memory only, nothing is persisted" : `data in ${server.dataFile}`;
console.log(`MongoDB double listening at ${server.uri} (${where})`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void server.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
