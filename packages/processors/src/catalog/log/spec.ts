import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { meta } from "../../schema.js";

export const configSchema = z.strictObject({
  print: z.boolean().default(false).meta(meta("Also write each record to the engine's log (for debugging; costs throughput).")),
  level: z.enum(["info", "warn", "error"]).default("info").meta(meta("Engine log level used when print is on.")),
});
export type LogConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<LogConfig> = {
  type: "log",
  version: 1,
  kind: "sink",
  title: "Log",
  description: "A terminal node: records end here and are visible in the UI.",
  hasInput: true,
  configSchema,
  outputPorts: () => [],
  example: { print: false, level: "info" },
  docs: `Ends a branch of the flow. The records arriving here are visible in the UI through the runtime's
provenance and live stats (the processor keeps nothing itself). It has no output ports.

With **print** on, each record is also written to the engine log at **level** (values longer than
1000 characters are cut).`,
};
