import { defineConfig } from "vite";

// `npm run dev` serves the client on :5173 and forwards the API, the WebSocket and uploads to `make run`'s nginx.
const backend = process.env.MESSENGER_URL ?? "http://localhost:8080";

export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    target: "es2020",
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    // One small app: a single chunk loads faster than a waterfall of lazy ones.
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      "/api": backend,
      "/media": backend,
      "/connection": { target: backend.replace(/^http/, "ws"), ws: true },
    },
  },
});
