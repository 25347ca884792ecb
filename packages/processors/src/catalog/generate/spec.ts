import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { expression, meta } from "../../schema.js";

export const configSchema = z.strictObject({
  count: z
    .number({ error: "count must be a number" })
    .int("count must be a whole number")
    .min(0, "count must be 0 (endless) or more")
    .default(10)
    .meta(meta("How many records to generate; 0 = endless.")),
  ratePerSec: z
    .number({ error: "ratePerSec must be a number" })
    .min(0, "ratePerSec must be 0 (as fast as possible) or more")
    .max(1_000_000, "ratePerSec is at most 1,000,000")
    .default(1000)
    .meta(meta("Records per second (default 1000); 0 = as fast as possible.")),
  template: expression("JSONata producing each record's value; $i is the 0-based sequence number.", {
    placeholder: '{ "id": $i, "amount": $i * 10 }',
  }),
});
export type GenerateConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<GenerateConfig> = {
  type: "generate",
  version: 1,
  kind: "source",
  title: "Generate",
  description: "Generates records from a template: test data, heartbeats, load.",
  hasInput: false,
  configSchema,
  outputPorts: () => ["success"],
  example: { count: 2000, ratePerSec: 100, template: '{ "id": $i, "amount": $i * 10 }' },
  docs: `Generates **count** records (default 10; 0 = endless) at **ratePerSec** (default 1000 a second, so
2,000 records take 2 s; 0 = as fast as possible, which an endless count turns into a flood).
Each value is the result of the JSONata **template**, with \`$i\` bound to the 0-based sequence number
(\`$now()\`, \`$random()\` work as usual; use \`$i\`, not paths: there is no input record).

- the sequence number is the checkpoint: after a restart the next record continues from where it stopped
- the rate is a token bucket with at most one second of burst
- a template that fails, produces no value, runs past 1 s or fills its worker's heap for some \`$i\` skips that number (logged); it runs in the user-code pool, never on the engine's thread

Example: \`{ "id": $i, "user": "u" & ($i % 7), "amount": $round($random() * 100, 2) }\``,
};
