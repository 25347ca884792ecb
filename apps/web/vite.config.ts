import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const engine = process.env.MILLRACE_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/trpc": { target: engine, changeOrigin: true },
      "/healthz": { target: engine, changeOrigin: true },
    },
  },
  preview: {
    proxy: {
      "/trpc": { target: engine, changeOrigin: true },
    },
  },
  build: {
    outDir: "dist",
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
});
