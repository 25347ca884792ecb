import { isDeepStrictEqual } from "node:util";
import { HEADER, compileExpression, type MRecord } from "@millrace/processors";
import { Expressions } from "@millrace/processors/user-code/expressions";
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
/** How many records a mismatch or a target's output shows of a list. */
export const RECORDS_SHOWN = 100;

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

/**
 * A condition, compiled once, evaluated like a processor's expressions: in the user-code pool,
 * where a runaway one (a catastrophic regular expression) fails alone instead of stopping the
 * engine's thread. A string: why it does not compile.
 */
function compileCondition(source: string, overList: boolean): Expressions | string {
  try {
    if (!overList) return new Expressions([source], "truthy");
    compileExpression(source); // its syntax errors, at their positions in the source as written
    // over the list the input is an array, which the direct readers of simple paths do not map
    // as JSONata does: a block is never read directly, and means the same
    return new Expressions([`(\n${source}\n)`], "truthy");
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Records per request to the pool, as a stage's batch would hold. */
const CONDITION_BATCH = 500;

type Offending = { index: number; record: TestRecord; error?: string };

function stopWhenAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Error("stopped: the time is up");
}

/** The first SHOWN records the condition is not true for. */
async function offending(condition: Expressions, got: MRecord[], signal: AbortSignal | undefined): Promise<Offending[]> {
  const bad: Offending[] = [];
  for (let from = 0; from < got.length && bad.length < SHOWN; from += CONDITION_BATCH) {
    stopWhenAborted(signal);
    const batch = got.slice(from, from + CONDITION_BATCH);
    const { results, failures } = await condition.evaluate(batch);
    for (let i = 0; i < batch.length && bad.length < SHOWN; i++) {
      const failure = failures.get(i);
      if (failure) bad.push({ index: from + i, record: shown(batch[i]!), error: failure[1] });
      else if (results[i] !== true) bad.push({ index: from + i, record: shown(batch[i]!) });
    }
  }
  return bad;
}

/** Whether the condition is true of the list; the reason when it failed. */
async function trueOfList(condition: Expressions, got: MRecord[]): Promise<{ ok: boolean; error?: string }> {
  // the whole list is the one input the condition reads
  const { results, failures } = await condition.evaluate([got as unknown as MRecord]);
  const failure = failures.get(0);
  return failure ? { ok: false, error: failure[1] } : { ok: results[0] === true };
}

/** The first records of `got` as a mismatch shows them, and how many there were when not all. */
function shownList(got: MRecord[]): TestRecord[] {
  return got.slice(0, RECORDS_SHOWN).map(shown);
}

function moreThanShown(got: MRecord[]): string {
  return got.length > RECORDS_SHOWN ? ` (the first ${RECORDS_SHOWN} of ${got.length} shown)` : "";
}

async function checkTarget(path: string, e: TestExpectation, got: MRecord[], out: Mismatch[], signal: AbortSignal | undefined): Promise<void> {
  if (e.count !== undefined && got.length !== e.count) {
    out.push({ path: `${path}.count`, message: `expected ${e.count} record(s), got ${got.length}`, expected: e.count, actual: got.length });
  }
  if (e.records && recordsMismatch(e.records, got, e.anyOrder === true)) {
    out.push({ path: `${path}.records`, message: `the records differ${moreThanShown(got)}`, expected: e.records, actual: shownList(got) });
  }
  if (e.each !== undefined) {
    const condition = compileCondition(e.each, false);
    const bad = typeof condition === "string" ? condition : await offending(condition, got, signal);
    if (typeof bad === "string") out.push({ path: `${path}.each`, message: `${e.each} does not compile: ${bad}`, expected: e.each, actual: [] });
    else if (bad.length) out.push({ path: `${path}.each`, message: `${e.each} is not true for every record`, expected: e.each, actual: bad });
  }
  if (e.all !== undefined) {
    stopWhenAborted(signal);
    const condition = compileCondition(e.all, true);
    const c = typeof condition === "string" ? { ok: false, error: condition } : await trueOfList(condition, got);
    if (!c.ok) out.push({ path: `${path}.all`, message: `${c.error ? `${e.all} failed: ${c.error}` : `${e.all} is not true of the records`}${moreThanShown(got)}`, expected: e.all, actual: shownList(got) });
  }
}

const reasonOf = (r: MRecord) => r.headers[HEADER.error] ?? "";

/** Every expectation of the case against what the run captured. `targets`: each expectation's key → the output it reads. */
export async function checkCase(c: TestCase, run: HeadlessRun, targets: ReadonlyMap<string, string>, signal?: AbortSignal): Promise<Mismatch[]> {
  const out: Mismatch[] = [];
  for (const [key, e] of Object.entries(c.expect ?? {})) {
    await checkTarget(`expect[${JSON.stringify(key)}]`, e, run.outputs.get(targets.get(key)!) ?? [], out, signal);
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
