// Runs the MongoDB double standalone so services, benchmarks and any driver can use it.
import { readEnvironment } from "./environment.js";
import { startMongoDouble } from "./server.js";

const { doublePort } = readEnvironment();
const server = await startMongoDouble({ port: doublePort });
console.log(`MongoDB double listening at ${server.uri} (in memory only, nothing is persisted)`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void server.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
