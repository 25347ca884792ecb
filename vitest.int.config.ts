import { defineConfig } from "vitest/config";

// Integration tests run against the real broker (KAFKA_BROKERS) and the real Postgres
// (TEST_DATABASE_URL) that scripts/test.mjs starts; each file makes its own database.
export default defineConfig({
  test: {
    include: ["{apps,packages,prisma,scripts}/**/*.int.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    reporters: ["default", "./scripts/count-reporter.ts"],
  },
});
