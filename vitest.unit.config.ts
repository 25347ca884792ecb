import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{apps,packages,prisma,scripts}/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/*.int.test.ts", "**/dist/**"],
    testTimeout: 20_000,
    reporters: ["default", "./scripts/count-reporter.ts"],
  },
});
