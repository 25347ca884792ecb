// ESLint: typescript-eslint's recommended rules (syntax only, no type information: the type check
// is `pnpm typecheck`) plus the import boundaries that encode the dependency direction:
//
//   apps/web        → @millrace/flow, @millrace/processors (browser entry); `import type` of the engine's router
//   apps/engine     → @millrace/flow, @millrace/processors (incl. /runtime), @millrace/db (from src/db/ only)
//   packages/*, prisma → other packages only, never an app
//   processors' src → never Kafka, stats or provenance code
//   production code → never test helpers (testkit, test-support/, testing/, vitest, fast-check)
//
// Flat config applies the last matching object's options of a rule, so every file group below
// lists the whole set of boundaries that holds for it (`restrict(...)` joins them).
import { builtinModules } from "node:module";
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

const TESTS = ["**/*.test.ts", "**/*.test.tsx", "**/*.bench.ts", "**/test-support/**"];

/** One boundary: module names (`paths`) and import-string patterns that a file group may not import. */
const boundary = (message, { paths = [], groups = [], regex = [], allowTypeImports = false }) => ({
  paths: paths.map((name) => ({ name, message, allowTypeImports })),
  patterns: [
    ...(groups.length ? [{ group: groups, message, allowTypeImports }] : []),
    ...regex.map((r) => ({ regex: r, message, allowTypeImports })),
  ],
});

const restrict = (...boundaries) => ({
  "@typescript-eslint/no-restricted-imports": [
    "error",
    { paths: boundaries.flatMap((b) => b.paths), patterns: boundaries.flatMap((b) => b.patterns) },
  ],
});

const noApps = boundary("packages never import apps: move the shared code into a package.", {
  groups: ["@millrace/engine", "@millrace/engine/*", "@millrace/web", "@millrace/web/*"],
  regex: ["(^|/)apps/(engine|web)(/|$)"],
});

const noWeb = boundary("the engine never imports the web app.", {
  groups: ["@millrace/web", "@millrace/web/*"],
  regex: ["^(\\.\\./)+(apps/)?web(/|$)"],
});

const noTestHelpers = boundary("production code never imports test helpers: they live next to tests only.", {
  paths: ["@millrace/testkit", "vitest", "fast-check"],
  groups: ["@millrace/testkit/*", "vitest/*", "**/testing", "**/testing/**", "**/test-support", "**/test-support/**", "**/test-helpers*"],
});

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith("_"));
const webServerOnly = boundary("the web app runs in the browser: flow, processor specs and the engine's types only.", {
  paths: ["@millrace/db", "@millrace/testkit", "kafkajs", "pg", ...nodeBuiltins],
  groups: ["@millrace/db/*", "kafkajs/*", "pg/*", "@millrace/processors/*", "@prisma/*"],
  regex: ["^node:", "^(\\.\\./)+(apps/)?engine(/|$)"],
});
const webEngineTypesOnly = boundary("the web app imports only types from the engine (`import type { AppRouter }`).", {
  paths: ["@millrace/engine"],
  groups: ["@millrace/engine/*"],
  allowTypeImports: true,
});

const noKafkaStatsProvenance = boundary("processor code never imports Kafka, stats or provenance code: the engine hands it what it needs.", {
  paths: ["kafkajs"],
  groups: ["kafkajs/*"],
  regex: ["(^|/)(provenance|metrics|[^/]*stats[^/]*)(/|\\.js$|$)"],
});

const dbOnlyInDbLayer = boundary("SQL lives in apps/engine/src/db/: use its repositories.", {
  paths: ["pg", "@millrace/db", "@prisma/client"],
  groups: ["pg/*", "@millrace/db/*", "@prisma/client/*"],
});
const kafkaOnlyInKafkaLayer = boundary("kafkajs is used only through apps/engine/src/kafka/.", {
  paths: ["kafkajs"],
  groups: ["kafkajs/*"],
});

export default defineConfig(
  globalIgnores([
    "**/node_modules/",
    "**/dist/",
    "bench/results/",
    "bench/streams/",
    "prisma/generated/",
    "**/test-results/",
    "**/playwright-report/",
    "**/.millrace/",
    "**/.tmp/",
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    name: "millrace/tuning",
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // `any` marks JSON values and kafkajs internals on purpose; the type check covers the rest.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
      "no-empty": ["error", { allowEmptyCatch: true }],
      // Playwright fixtures that use no other fixture are written `async ({}, use) => …`
      "no-empty-pattern": ["error", { allowObjectPatternsAsParameters: true }],
      // flags the `i++` of the last column and defaults overwritten in a try: idioms, not bugs
      "no-useless-assignment": "off",
      eqeqeq: ["error", "always", { null: "ignore" }],
    },
  },
  {
    name: "millrace/browser",
    // e2e and the editor benchmark pass callbacks to page.evaluate: they run in the page
    files: ["apps/web/src/**", "e2e/**", "bench/lib/editor.mjs", "bench/debug-*.mjs"],
    languageOptions: { globals: { ...globals.browser } },
  },

  // web: tests and production code alike run in the browser (or as if)
  { name: "millrace/web", files: ["apps/web/src/**"], rules: restrict(webServerOnly, webEngineTypesOnly) },
  { name: "millrace/web-production", files: ["apps/web/src/**"], ignores: TESTS, rules: restrict(webServerOnly, webEngineTypesOnly, noTestHelpers) },

  // engine
  { name: "millrace/engine", files: ["apps/engine/**"], rules: restrict(noWeb) },
  {
    name: "millrace/engine-production",
    files: ["apps/engine/src/**"],
    ignores: TESTS,
    rules: { ...restrict(noWeb, noTestHelpers, dbOnlyInDbLayer, kafkaOnlyInKafkaLayer), "no-console": "error" },
  },
  { name: "millrace/engine-db", files: ["apps/engine/src/db/**"], ignores: TESTS, rules: restrict(noWeb, noTestHelpers, kafkaOnlyInKafkaLayer) },
  { name: "millrace/engine-kafka", files: ["apps/engine/src/kafka/**"], ignores: TESTS, rules: restrict(noWeb, noTestHelpers, dbOnlyInDbLayer) },
  // the CLI's own output is its user interface
  { name: "millrace/engine-cli", files: ["apps/engine/src/cli/**"], rules: { "no-console": "off" } },

  // packages (prisma/ is the @millrace/db package)
  { name: "millrace/packages", files: ["packages/**", "prisma/**"], rules: restrict(noApps) },
  { name: "millrace/packages-production", files: ["packages/*/src/**", "prisma/src/**"], ignores: TESTS, rules: restrict(noApps, noTestHelpers) },
  { name: "millrace/processors", files: ["packages/processors/**"], rules: restrict(noApps, noKafkaStatsProvenance) },
  {
    name: "millrace/processors-production",
    files: ["packages/processors/src/**"],
    ignores: TESTS,
    rules: restrict(noApps, noKafkaStatsProvenance, noTestHelpers),
  },
);
