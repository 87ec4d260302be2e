import { defineConfig } from "vitest/config";

// The Tauri window loads the dev server on this fixed port (tauri.conf.json devUrl).
export default defineConfig({
  clearScreen: false,
  server: { host: "127.0.0.1", port: 1420, strictPort: true },
  build: { target: "safari15", outDir: "dist", emptyOutDir: true },
  test: { environment: "jsdom", include: ["src/**/*.test.ts"] },
});
