import { z } from "zod";

/**
 * Test cases stored with a flow (`tests` in the document): records fed to its sources, what
 * must come out of its nodes. They never change what the flow does: the planner ignores them
 * and a document without them exports exactly as before.
 *
 * Targets of expectations: `node` (the records it sends on `success`, or for a node with no
 * output but failure — a log — the records it receives) or `node.port` (the records of that port).
 */

export const TEST_LIMITS = {
  cases: 100,
  /** input records of one case, over all its sources */
  recordsPerCase: 1000,
  /** expected records of one target */
  expectedPerTarget: 1000,
  targetsPerCase: 100,
  nameLength: 200,
  expressionLength: 4000,
  /** a case's own time limit, at most */
  maxTimeoutMs: 60_000,
} as const;

/** Default time limit of one case (its `timeoutMs` says otherwise). */
export const DEFAULT_CASE_TIMEOUT_MS = 10_000;

const headers = z.record(z.string(), z.string());
const expression = z.string().min(1).max(TEST_LIMITS.expressionLength);

export const TestRecordSchema = z
  .object({
    key: z.string().optional(),
    value: z.json().meta({ id: "JsonValue", description: "Any JSON value." }),
    headers: headers.optional(),
    timestamp: z.number().int().min(0).optional().describe("Epoch milliseconds, as a Kafka timestamp: the event time of windows that read no timestamp expression."),
  })
  .strict()
  .describe("A record: key (optional), value (any JSON), headers (optional), timestamp (optional).");

export const TestExpectationSchema = z
  .object({
    records: z
      .array(TestRecordSchema)
      .max(TEST_LIMITS.expectedPerTarget)
      .optional()
      .describe("Exactly these records, in this order: value deep-equal; key and timestamp when given; headers when given, each listed header (others may be there too)."),
    anyOrder: z.boolean().optional().describe("Compare `records` in any order."),
    count: z.number().int().min(0).optional().describe("Exactly this many records."),
    each: expression.optional().describe("JSONata over each record ({ value, key, headers }): must be true for every one."),
    all: expression.optional().describe("JSONata over the list of records (an array of { value, key, headers }): must be true."),
  })
  .strict();

export const TestFailureSchema = z
  .object({
    count: z.number().int().min(0).optional().describe("Exactly this many records fail at the node (absent: at least one)."),
    error: z.string().min(1).max(TEST_LIMITS.expressionLength).optional().describe("Text every failure's reason contains."),
  })
  .strict();

export const TestCaseSchema = z
  .object({
    name: z.string().min(1).max(TEST_LIMITS.nameLength),
    description: z.string().max(2000).optional(),
    inputs: z.record(z.string(), z.array(TestRecordSchema)).describe("Records fed to each source node, by node id; other sources send nothing."),
    expect: z.record(z.string(), TestExpectationSchema).optional().describe('What comes out, by "node" (its success records; a log: what it receives) or "node.port".'),
    failures: z
      .record(z.string(), TestFailureSchema)
      .optional()
      .describe("Records expected to fail, by node id. Any other record reaching a failure port or the dead letter fails the case."),
    timeoutMs: z.number().int().min(1).max(TEST_LIMITS.maxTimeoutMs).optional().describe(`How long the case may run (default ${DEFAULT_CASE_TIMEOUT_MS} ms).`),
  })
  .strict()
  .superRefine((c, ctx) => {
    let records = 0;
    for (const list of Object.values(c.inputs)) records += list.length;
    if (records > TEST_LIMITS.recordsPerCase) {
      ctx.addIssue({ code: "custom", path: ["inputs"], message: `at most ${TEST_LIMITS.recordsPerCase} input records per case (got ${records})` });
    }
    if (Object.keys(c.expect ?? {}).length > TEST_LIMITS.targetsPerCase) {
      ctx.addIssue({ code: "custom", path: ["expect"], message: `at most ${TEST_LIMITS.targetsPerCase} expectations per case` });
    }
  });

export const TestCasesSchema = z
  .array(TestCaseSchema)
  .max(TEST_LIMITS.cases)
  .superRefine((cases, ctx) => {
    const seen = new Set<string>();
    cases.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate test name ${JSON.stringify(c.name)}` });
      seen.add(c.name);
    });
  })
  .describe("Test cases run by `millrace flow test` and the designer's Tests tab; never deployed.");

export type TestRecord = z.infer<typeof TestRecordSchema>;
export type TestExpectation = z.infer<typeof TestExpectationSchema>;
export type TestFailure = z.infer<typeof TestFailureSchema>;
export type TestCase = z.infer<typeof TestCaseSchema>;

/** Where an expectation's target points: a node's port, or (`port` undefined) the node's default output. */
export interface TestTarget {
  node: string;
  port?: string;
}

/**
 * Reads a target: a node id as it is (ids may contain dots), else `node.port` split at the last dot.
 * Undefined when neither names a node of `nodeIds`.
 */
export function parseTestTarget(target: string, nodeIds: ReadonlySet<string>): TestTarget | undefined {
  if (nodeIds.has(target)) return { node: target };
  const dot = target.lastIndexOf(".");
  if (dot <= 0 || dot === target.length - 1) return undefined;
  const node = target.slice(0, dot);
  return nodeIds.has(node) ? { node, port: target.slice(dot + 1) } : undefined;
}
