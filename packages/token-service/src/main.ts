import { runService } from "@roster/runtime";
import { createApp } from "./app.js";
import { loadConfig } from "./config.js";

await runService({
  name: "token-service",
  loadConfig: () => loadConfig(process.env),
  createApp: ({ config, db, logger, authFailures }) => createApp({ config, db, logger, authFailures }),
});
