// `flow test FILE`: runs a flow file's test cases right here, headless: no engine, Kafka or database.
import { writeFileSync } from "node:fs";
import { formatError, parseFlowJson } from "@millrace/flow";
import { catalog } from "@millrace/processors";
import { UsageError, type Parsed } from "./args.js";
import { print } from "./output.js";

export const FLOW_TEST_USAGE = `  flow test FILE [--junit OUT.xml] [--case NAME]
                                   runs the flow's test cases headless (no engine needed); exit 1 on any failure`;

/**
 * `readText` and `userPath` resolve against where the user typed the command. Exit codes: 0 every
 * case passed, 1 a case failed or the file is not a valid flow, 2 usage (no cases to run).
 */
export async function flowTestCommand(p: Parsed, readText: (file: string) => string, userPath: (file: string) => string, json: boolean): Promise<number> {
  const file = p.positionals[2];
  if (!file) throw new UsageError(`missing FILE\nusage:\n${FLOW_TEST_USAGE}`);
  const parsed = parseFlowJson(readText(file), catalog);
  if (!parsed.ok) {
    for (const e of parsed.errors) process.stderr.write(`${file}: ${formatError(e)}\n`);
    return 1;
  }
  const only = p.flags.get("--case");
  const cases = parsed.document.tests ?? [];
  if (typeof only === "string" && !cases.some((c) => c.name === only)) {
    throw new UsageError(`${file} has no test case "${only}"${cases.length ? ` (it has ${cases.map((c) => JSON.stringify(c.name)).join(", ")})` : ""}`);
  }
  if (!cases.length) throw new UsageError(`${file} has no test cases: add a "tests" array (see README, Flow tests)`);

  // loaded here only: the implementations pull in the database driver and the sandbox
  const [{ implementations, closeUserCodePool }, { runFlowTests }, { junitXml, failureText }] = await Promise.all([
    import("@millrace/processors/runtime"),
    import("../flow-tests/run-tests.js"),
    import("../flow-tests/junit.js"),
  ]);
  try {
    const result = await runFlowTests(parsed.document, { specs: catalog, implementations, ...(typeof only === "string" ? { only } : {}) });
    const junit = p.flags.get("--junit");
    if (typeof junit === "string") writeFileSync(userPath(junit), junitXml(result, parsed.document.name));
    if (json) print(result);
    else {
      for (const c of result.cases) {
        print(`${c.passed ? "PASS" : "FAIL"}  ${c.name}  (${c.durationMs} ms)`);
        if (!c.passed) print(failureText(c).replace(/^/gm, "      "));
        if (c.stubbed.length) print(`      not run, records passed through: ${c.stubbed.join(", ")}`);
      }
      print(`${result.passed} passed, ${result.failed} failed`);
    }
    if (typeof junit === "string") process.stderr.write(`wrote ${junit}\n`);
    return result.failed ? 1 : 0;
  } finally {
    await closeUserCodePool();
  }
}
