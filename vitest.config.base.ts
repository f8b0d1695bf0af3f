import { defineConfig } from "vitest/config";

/** What every package's unit and integration tests share. */
export default defineConfig({
  test: {
    // Integration tests talk to a database and start workers; on a loaded 2-core machine five seconds is not enough.
    testTimeout: 30_000,
  },
});
