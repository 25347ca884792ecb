import { describe, expect, it } from "vitest";
import { junitXml } from "./junit.js";

describe("junitXml", () => {
  it("one testcase per case, failures with expected vs actual, text escaped and control characters dropped", () => {
    const xml = junitXml({
      flowId: "f",
      passed: 1,
      failed: 1,
      cases: [
        { name: "ok", passed: true, durationMs: 12, mismatches: [], outputs: {}, stubbed: [] },
        { name: 'a <"b"> & \u0001c', passed: false, durationMs: 3, mismatches: [{ path: "expect.x.count", message: "expected 2", expected: 2, actual: 1 }], outputs: {}, stubbed: [] },
      ],
    });
    expect(xml).toContain('<testsuite name="f" tests="2" failures="1" errors="0" skipped="0" time="0.015">');
    expect(xml).toContain('<testcase classname="f" name="ok" time="0.012"/>');
    expect(xml).toContain('<testcase classname="f" name="a &lt;&quot;b&quot;&gt; &amp; c" time="0.003">');
    expect(xml).toContain('<failure message="expect.x.count: expected 2" type="FlowTestFailure">expect.x.count: expected 2\n  expected: 2\n  actual:   1</failure>');
  });
});
