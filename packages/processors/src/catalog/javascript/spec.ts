import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { meta } from "../../schema.js";

export const configSchema = z.strictObject({
  code: z
    .string({ error: "code is required" })
    .min(1, "the code is empty")
    .max(100_000, "the code has at most 100000 characters")
    .meta(meta("Body of function (value, key, headers); return the new value, a record, an array, or null to drop.", { widget: "code", placeholder: "return { ...value, total: value.price * value.qty };" })),
  // both time limits stay well under Kafka's 10 s session timeout: a batch must end before the group gives its partition away
  timeLimitMs: z.number().int().min(10, "timeLimitMs is at least 10").max(5000, "timeLimitMs is at most 5000").default(1000).meta(meta("Time one record may use (ms).")),
  batchTimeLimitMs: z.number().int().min(10, "batchTimeLimitMs is at least 10").max(8000, "batchTimeLimitMs is at most 8000").default(5000).meta(meta("Time one batch may use (ms); records not yet run go to failure.")),
  memoryLimitMb: z.number().int().min(4, "memoryLimitMb is at least 4").max(256, "memoryLimitMb is at most 256").default(32).meta(meta("Heap of the sandbox (MB), strings included.")),
});
export type JavascriptConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<JavascriptConfig> = {
  type: "javascript",
  version: 1,
  kind: "transform",
  title: "JavaScript",
  description: "Transforms records with sandboxed JavaScript.",
  hasInput: true,
  configSchema,
  outputPorts: () => ["success", "failure"],
  example: {
    code: "if (value.amount < 0) return null;\nreturn { ...value, total: value.price * value.qty };",
    timeLimitMs: 500,
    batchTimeLimitMs: 5000,
    memoryLimitMb: 32,
  },
  docs: `**code** is the body of a function \`(value, key, headers)\` run for each record in a QuickJS sandbox:
plain ES2023, \`JSON\`, \`Math\`, \`Date\`; **no** \`require\`, \`import\`, \`process\`, \`fetch\`, timers, files
or network. \`console.log/info/warn/error\` go to the engine log. \`key\` is a string or \`null\`;
\`headers\` is an object of strings. The code must be synchronous.

What it returns decides the output (all to \`success\`):

| return | output |
|---|---|
| \`null\` / \`undefined\` / nothing | the record is dropped |
| an array | one record per element (each element read by the rules below; \`null\` elements skipped) |
| \`{ value, key?, headers? }\` — an object whose only keys are \`value\`, \`key\`, \`headers\` and has \`value\` | a record: \`key\` replaces the key (\`null\` = none), \`headers\` are merged into the input headers (\`null\` removes one; \`mr.*\` ignored) |
| anything else | the new value; key and headers kept |

So to output a value that itself looks like \`{ value: … }\` or is an array, wrap it: \`return { value: [1, 2] }\`.

Failures (reason in \`mr.error\`): a thrown error, a result that is not JSON (cycles, BigInt), a record
using more than **timeLimitMs** of CPU (an endless loop is stopped then), the sandbox running out of
**memoryLimitMb**. When a batch has used **batchTimeLimitMs**, its remaining records go to failure
unrun. Global variables may persist between records of one deployment: do not rely on it.`,
};
