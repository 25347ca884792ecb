import { isDeepStrictEqual } from "node:util";
import { HEADER, compileExpression, jsonataTruthy, type MRecord } from "@millrace/processors";
import type { TestCase, TestExpectation, TestRecord } from "@millrace/flow";
import type { HeadlessRun } from "./headless-flow.js";

/** One expectation that did not hold: what was asked, what happened. */
export interface Mismatch {
  /** `expect["filter.success"].count`, `failures.map` */
  path: string;
  message: string;
  expected: unknown;
  actual: unknown;
}

/** How many offending records a mismatch shows. */
const SHOWN = 5;

/** A record as a test case spells it: no key, headers or timestamp when it has none. */
export function shown(record: MRecord): TestRecord {
  const out: TestRecord = { value: (normal(record.value) ?? null) as TestRecord["value"] };
  if (record.key !== undefined) out.key = record.key;
  if (Object.keys(record.headers).length) out.headers = record.headers;
  if (record.timestamp !== undefined) out.timestamp = record.timestamp;
  return out;
}

function sameRecord(expected: TestRecord, actual: MRecord): boolean {
  if (!isDeepStrictEqual(normal(expected.value), normal(actual.value))) return false;
  if ("key" in expected && expected.key !== actual.key) return false;
  if (expected.timestamp !== undefined && expected.timestamp !== actual.timestamp) return false;
  if (expected.headers) for (const [k, v] of Object.entries(expected.headers)) if (actual.headers[k] !== v) return false;
  return true;
}

/** Values compared as JSON: what a record carries on the wire (undefined fields gone, dates as text). */
function normal(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function recordsMismatch(want: TestRecord[], got: MRecord[], anyOrder: boolean): boolean {
  if (want.length !== got.length) return true;
  if (!anyOrder) return want.some((w, i) => !sameRecord(w, got[i]!));
  const left = [...got];
  for (const w of want) {
    const at = left.findIndex((g) => sameRecord(w, g));
    if (at < 0) return true;
    left.splice(at, 1);
  }
  return false;
}

async function condition(source: string, input: unknown): Promise<{ ok: boolean; error?: string }> {
  try {
    const result = await compileExpression(source).evaluate(input);
    return { ok: jsonataTruthy(result) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

async function checkTarget(path: string, e: TestExpectation, got: MRecord[], out: Mismatch[]): Promise<void> {
  if (e.count !== undefined && got.length !== e.count) {
    out.push({ path: `${path}.count`, message: `expected ${e.count} record(s), got ${got.length}`, expected: e.count, actual: got.length });
  }
  if (e.records && recordsMismatch(e.records, got, e.anyOrder === true)) {
    out.push({ path: `${path}.records`, message: "the records differ", expected: e.records, actual: got.map(shown) });
  }
  if (e.each !== undefined) {
    const bad: { index: number; record: TestRecord; error?: string }[] = [];
    for (let i = 0; i < got.length && bad.length < SHOWN; i++) {
      const r = got[i]!;
      const c = await condition(e.each, { value: r.value, key: r.key, headers: r.headers });
      if (!c.ok) bad.push({ index: i, record: shown(r), ...(c.error ? { error: c.error } : {}) });
    }
    if (bad.length) out.push({ path: `${path}.each`, message: `${e.each} is not true for every record`, expected: e.each, actual: bad });
  }
  if (e.all !== undefined) {
    const c = await condition(e.all, got.map((r) => ({ value: r.value, key: r.key, headers: r.headers })));
    if (!c.ok) out.push({ path: `${path}.all`, message: c.error ? `${e.all} failed: ${c.error}` : `${e.all} is not true of the records`, expected: e.all, actual: got.map(shown) });
  }
}

const reasonOf = (r: MRecord) => r.headers[HEADER.error] ?? "";

/** Every expectation of the case against what the run captured. `targets`: each expectation's key → the output it reads. */
export async function checkCase(c: TestCase, run: HeadlessRun, targets: ReadonlyMap<string, string>): Promise<Mismatch[]> {
  const out: Mismatch[] = [];
  for (const [key, e] of Object.entries(c.expect ?? {})) {
    await checkTarget(`expect[${JSON.stringify(key)}]`, e, run.outputs.get(targets.get(key)!) ?? [], out);
  }
  const expected = c.failures ?? {};
  for (const [node, f] of Object.entries(expected)) {
    const got = run.failures.get(node) ?? [];
    const path = `failures[${JSON.stringify(node)}]`;
    if (f.count === undefined ? got.length === 0 : got.length !== f.count) {
      const want = f.count === undefined ? "at least 1" : String(f.count);
      out.push({ path: `${path}.count`, message: `expected ${want} failed record(s) at "${node}", got ${got.length}`, expected: f.count ?? "at least 1", actual: got.map(shown).slice(0, SHOWN) });
    }
    if (f.error !== undefined) {
      const bad = got.filter((r) => !reasonOf(r).includes(f.error!));
      if (bad.length) out.push({ path: `${path}.error`, message: `not every failure's reason contains ${JSON.stringify(f.error)}`, expected: f.error, actual: bad.slice(0, SHOWN).map(reasonOf) });
    }
  }
  for (const [node, records] of run.deadLetters) {
    if (node in expected) continue;
    out.push({
      path: `failures[${JSON.stringify(node)}]`,
      message: `${records.length} record(s) failed at "${node}" and went to the dead letter: ${reasonOf(records[0]!)}`,
      expected: "no failure",
      actual: records.slice(0, SHOWN).map(shown),
    });
  }
  return out;
}
