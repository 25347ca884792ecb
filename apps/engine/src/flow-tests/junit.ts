import type { FlowTestsResult } from "./run-tests.js";

/** A character XML 1.0 cannot hold at all (control characters other than tab, newline, return; U+FFFE, U+FFFF). */
function allowedInXml(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c !== 0xfffe && c !== 0xffff);
}

/** XML 1.0 text: the five escapes, and the control characters XML cannot hold at all dropped. */
function xml(text: string): string {
  return Array.from(text)
    .filter(allowedInXml)
    .join("")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** A failed case's whole story: every mismatch with its expected and actual values. */
export function failureText(c: FlowTestsResult["cases"][number]): string {
  const lines: string[] = [];
  if (c.error) lines.push(c.error);
  for (const m of c.mismatches) {
    lines.push(`${m.path}: ${m.message}`, `  expected: ${JSON.stringify(m.expected)}`, `  actual:   ${JSON.stringify(m.actual)}`);
  }
  return lines.join("\n");
}

/** JUnit XML (the shape CI servers read): one testsuite per flow, one testcase per case. */
export function junitXml(result: FlowTestsResult, suiteName = result.flowId): string {
  const total = result.cases.reduce((sum, c) => sum + c.durationMs, 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="millrace flow tests" tests="${result.cases.length}" failures="${result.failed}" time="${seconds(total)}">`,
    `  <testsuite name="${xml(suiteName)}" tests="${result.cases.length}" failures="${result.failed}" errors="0" skipped="0" time="${seconds(total)}">`,
  ];
  for (const c of result.cases) {
    const open = `    <testcase classname="${xml(suiteName)}" name="${xml(c.name)}" time="${seconds(c.durationMs)}"`;
    if (c.passed) {
      out.push(`${open}/>`);
      continue;
    }
    const summary = c.error ?? c.mismatches.map((m) => `${m.path}: ${m.message}`).join("; ");
    out.push(`${open}>`, `      <failure message="${xml(summary)}" type="FlowTestFailure">${xml(failureText(c))}</failure>`, "    </testcase>");
  }
  out.push("  </testsuite>", "</testsuites>", "");
  return out.join("\n");
}
