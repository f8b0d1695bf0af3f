export { createApp } from "./app.js";
export { loadConfig, type UserServiceConfig } from "./config.js";
