import { appendFileSync } from "node:fs";
import type { FullResult, Reporter, TestCase, TestResult } from "@playwright/test/reporter";

// Counts final test outcomes (after retries) for scripts/test.mjs's summed last line.
export default class CountReporter implements Reporter {
  private outcome = new Map<TestCase, string>();
  onTestEnd(test: TestCase, _result: TestResult) {
    this.outcome.set(test, test.outcome());
  }
  onEnd(result: FullResult) {
    let passed = 0, failed = 0, skipped = 0;
    for (const o of this.outcome.values()) {
      if (o === "expected" || o === "flaky") passed++;
      else if (o === "skipped") skipped++;
      else failed++;
    }
    if (result.status !== "passed" && failed === 0) failed = 1;
    const counts = { passed, failed, skipped };
    if (process.env.MILLRACE_COUNTS) appendFileSync(process.env.MILLRACE_COUNTS, JSON.stringify(counts) + "\n");
    else console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  }
}
