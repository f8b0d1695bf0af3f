import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["./setup/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The services under test already use both cores; more test workers only add noise.
    maxWorkers: 2,
  },
});
