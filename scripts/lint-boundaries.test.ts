// The import boundaries of eslint.config.js, each shown to fire: snippets are linted as if they
// were at the given path, so deleting or loosening a boundary fails here.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const eslint = new ESLint({ cwd: repoRoot });

/** The rule ids reported for `code` placed at `path` (relative to the repo root). */
async function lint(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, path) });
  return result!.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

const RESTRICTED = "@typescript-eslint/no-restricted-imports";
const use = (name: string) => `export const used = ${name};\n`;

async function expectBlocked(path: string, importLine: string) {
  expect(await lint(path, importLine + use("x")), `${importLine} in ${path}`).toContain(RESTRICTED);
}
async function expectAllowed(path: string, importLine: string) {
  expect(await lint(path, importLine + use("x")), `${importLine} in ${path}`).toEqual([]);
}

describe("web: flow, processor specs and the engine's types only", () => {
  const at = "apps/web/src/components/Example.tsx";
  it("allows flow and the processors' browser entry", async () => {
    await expectAllowed(at, `import { x } from "@millrace/flow";\n`);
    await expectAllowed(at, `import { catalog as x } from "@millrace/processors";\n`);
  });
  it("allows only type imports from the engine", async () => {
    expect(await lint(at, `import type { AppRouter } from "@millrace/engine/api/router";\nexport type R = AppRouter;\n`)).toEqual([]);
    await expectBlocked(at, `import { appRouter as x } from "@millrace/engine/api/router";\n`);
    await expectBlocked(at, `import { x } from "../../../engine/src/api/router.js";\n`);
  });
  it("blocks server-only modules", async () => {
    await expectBlocked(at, `import { implementations as x } from "@millrace/processors/runtime";\n`);
    await expectBlocked(at, `import { createDb as x } from "@millrace/db";\n`);
    await expectBlocked(at, `import { Kafka as x } from "kafkajs";\n`);
    await expectBlocked(at, `import x from "pg";\n`);
    await expectBlocked(at, `import { readFileSync as x } from "node:fs";\n`);
    await expectBlocked(at, `import { readFileSync as x } from "fs";\n`);
  });
  it("keeps test helpers out of production files but not out of tests", async () => {
    await expectBlocked(at, `import { expect as x } from "vitest";\n`);
    await expectAllowed("apps/web/src/components/Example.test.ts", `import { expect as x } from "vitest";\n`);
  });
});

describe("engine", () => {
  it("never imports the web app", async () => {
    await expectBlocked("apps/engine/src/api/example.ts", `import { x } from "@millrace/web/src/deploy";\n`);
    await expectBlocked("apps/engine/src/api/example.ts", `import { x } from "../../../web/src/deploy.js";\n`);
    await expectBlocked("apps/engine/src/api/example.test.ts", `import { x } from "../../../web/src/deploy.js";\n`);
  });
  it("may import flow, processors with their runtime, and the db package from its db layer", async () => {
    await expectAllowed("apps/engine/src/runtime/example.ts", `import { x } from "@millrace/flow";\n`);
    await expectAllowed("apps/engine/src/runtime/example.ts", `import { implementations as x } from "@millrace/processors/runtime";\n`);
    await expectAllowed("apps/engine/src/db/example.ts", `import { createDb as x } from "@millrace/db";\n`);
  });
  it("uses pg and @millrace/db only in src/db/", async () => {
    await expectBlocked("apps/engine/src/runtime/example.ts", `import x from "pg";\n`);
    await expectBlocked("apps/engine/src/flows/example.ts", `import { createDb as x } from "@millrace/db";\n`);
    await expectBlocked("apps/engine/src/kafka/example.ts", `import x from "pg";\n`);
    await expectAllowed("apps/engine/src/db/example.ts", `import x from "pg";\n`);
  });
  it("uses kafkajs only in src/kafka/", async () => {
    await expectBlocked("apps/engine/src/runtime/example.ts", `import { Kafka as x } from "kafkajs";\n`);
    await expectBlocked("apps/engine/src/db/example.ts", `import { Kafka as x } from "kafkajs";\n`);
    await expectAllowed("apps/engine/src/kafka/example.ts", `import { Kafka as x } from "kafkajs";\n`);
  });
  it("keeps test helpers out of production files", async () => {
    await expectBlocked("apps/engine/src/runtime/example.ts", `import { flowDoc as x } from "../../test-support/index.js";\n`);
    await expectBlocked("apps/engine/src/runtime/example.ts", `import { freePort as x } from "@millrace/testkit";\n`);
    await expectBlocked("apps/engine/src/runtime/example.ts", `import x from "fast-check";\n`);
    await expectAllowed("apps/engine/src/runtime/example.int.test.ts", `import { flowDoc as x } from "../../test-support/index.js";\n`);
  });
  it("has no console output outside the CLI and tests", async () => {
    expect(await lint("apps/engine/src/runtime/example.ts", `console.log("x");\n`)).toContain("no-console");
    expect(await lint("apps/engine/src/cli/example.ts", `console.log("x");\n`)).toEqual([]);
    expect(await lint("apps/engine/src/runtime/example.test.ts", `console.log("x");\n`)).toEqual([]);
  });
});

describe("packages never import apps", () => {
  for (const at of ["packages/flow/src/example.ts", "packages/processors/src/example.test.ts", "prisma/src/example.ts", "packages/testkit/src/example.ts"]) {
    it(at, async () => {
      await expectBlocked(at, `import type { AppRouter as x } from "@millrace/engine/api/router";\n`);
      await expectBlocked(at, `import { x } from "@millrace/web";\n`);
      await expectBlocked(at, `import { x } from "../../../apps/engine/src/engine.js";\n`);
    });
  }
});

describe("processor code never imports Kafka, stats or provenance code", () => {
  const at = "packages/processors/src/catalog/example/impl.ts";
  it("blocks them", async () => {
    await expectBlocked(at, `import { Kafka as x } from "kafkajs";\n`);
    await expectBlocked(at, `import { x } from "../../provenance/recorder.js";\n`);
    await expectBlocked(at, `import { x } from "../../stats.js";\n`);
    await expectBlocked(at, `import { x } from "../../metrics/index.js";\n`);
  });
  it("allows its own package and flow", async () => {
    await expectAllowed(at, `import { HEADER as x } from "../../sdk.js";\n`);
    await expectAllowed(at, `import { x } from "@millrace/flow";\n`);
  });
});

describe("packages' production code never imports test helpers", () => {
  it("blocks test-support, testing entries, testkit, vitest and fast-check", async () => {
    await expectBlocked("packages/processors/src/example.ts", `import { runProcessor as x } from "../test-support/harness.js";\n`);
    await expectBlocked("packages/flow/src/example.ts", `import { runProcessor as x } from "@millrace/processors/testing";\n`);
    await expectBlocked("packages/flow/src/example.ts", `import x from "fast-check";\n`);
    await expectBlocked("prisma/src/example.ts", `import { createTestDatabase as x } from "@millrace/testkit";\n`);
    await expectBlocked("packages/flow/src/example.ts", `import { it as x } from "vitest";\n`);
  });
  it("allows them in tests", async () => {
    await expectAllowed("packages/flow/src/example.test.ts", `import { fakeCatalog as x } from "../test-support/fake-catalog.js";\n`);
    await expectAllowed("packages/processors/src/catalog/example.test.ts", `import { runProcessor as x } from "../../test-support/harness.js";\n`);
  });
});
