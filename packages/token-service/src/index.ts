export { createApp } from "./app.js";
export { loadConfig, type TokenServiceConfig } from "./config.js";
