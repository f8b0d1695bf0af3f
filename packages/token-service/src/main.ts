import { runService } from "@roster/runtime";
import { createApp } from "./app.js";
import { loadConfig } from "./config.js";

const config = loadConfig(process.env);
await runService({
  name: "token-service",
  config,
  grpcPort: config.grpcPort,
  httpPort: config.httpPort,
  createApp: ({ db, logger }) => createApp({ config, db, logger }),
});
