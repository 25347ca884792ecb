import { appendFileSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";

// Prints "N passed, N failed, N skipped" and, when MILLRACE_COUNTS is set, appends the
// counts as a JSON line there so scripts/test.mjs can sum all suites into one last line.
export default class CountReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>) {
    let passed = 0, failed = 0, skipped = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === "passed") passed++;
        else if (s === "failed") failed++;
        else skipped++;
      }
      if (m.state() === "failed" && [...m.children.allTests()].length === 0) failed++;
    }
    failed += errors.length;
    const line = `${passed} passed, ${failed} failed, ${skipped} skipped`;
    if (process.env.MILLRACE_COUNTS) appendFileSync(process.env.MILLRACE_COUNTS, JSON.stringify({ passed, failed, skipped }) + "\n");
    else console.log(line);
  }
}
