import { defineConfig } from "vite";

// The page is served under a configurable path, so every URL in it is relative.
export default defineConfig({
  base: "./",
  build: {
    outDir: "dist/web",
    emptyOutDir: true,
    // The preload helper would add an inline script the Content-Security-Policy refuses.
    modulePreload: false,
    target: "es2022",
  },
});
