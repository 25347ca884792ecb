import { z } from "zod";
import { relativePathProblem } from "../../file-paths.js";
import type { ProcessorSpec } from "../../sdk.js";
import { meta } from "../../schema.js";
import { durationProblem } from "../aggregate/duration.js";

const PLACEHOLDER = /\{([^}]*)\}/g;
const KNOWN = new Set(["date", "hour", "seq"]);

/** Why a file-sink path pattern is not usable (undefined: it is). */
export function patternProblem(path: string): string | undefined {
  const lexical = relativePathProblem(path);
  if (lexical) return lexical;
  const slash = path.lastIndexOf("/");
  if (/[{}]/.test(path.slice(0, slash + 1))) return "placeholders may only be in the file name, not in its directories";
  const name = path.slice(slash + 1);
  for (const m of name.matchAll(PLACEHOLDER)) if (!KNOWN.has(m[1]!)) return `unknown placeholder {${m[1]}}: use {date}, {hour} or {seq}`;
  if (/[{}]/.test(name.replace(PLACEHOLDER, ""))) return "a { or } that is not part of a placeholder";
  if ((name.match(/\{seq\}/g) ?? []).length > 1) return "{seq} may appear once";
  if (name.endsWith(".partial")) return "the .partial ending is reserved for files being written";
  return undefined;
}

export const configSchema = z.strictObject({
  path: z
    .string({ error: "a path is required" })
    .min(1, "the path is empty")
    .superRefine((p, ctx) => {
      const problem = patternProblem(p);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .meta(meta("File name pattern relative to the engine's files directory; {date} (UTC yyyy-mm-dd), {hour}, {seq} (the roll's number).", { placeholder: "out/orders-{date}.jsonl" })),
  format: z.enum(["json", "text"]).default("json").meta(meta("json: each value as one line of JSON; text: a string value as is (others as JSON).")),
  rollBytes: z
    .number()
    .int()
    .min(1, "rollBytes is at least 1")
    .max(1024 * 1024 * 1024 * 1024, "rollBytes is at most 1 TiB")
    .default(128 * 1024 * 1024)
    .meta(meta("A file is closed and a new one started once it holds this many bytes.")),
  rollEvery: z
    .string()
    .default("1h")
    .superRefine((d, ctx) => {
      const problem = durationProblem(d, false);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .meta(meta("A file is closed and a new one started at least this often, like \"15m\" or \"1h\" (ms, s, m, h, d).")),
  keepFiles: z
    .number()
    .int()
    .min(1, "keepFiles is at least 1")
    .max(100_000, "keepFiles is at most 100,000")
    .default(168)
    .meta(meta("How many finished files are kept; the oldest beyond are deleted.")),
});
export type FileSinkConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<FileSinkConfig> = {
  type: "file-sink",
  version: 1,
  kind: "sink",
  title: "File sink",
  description: "Writes each record as a line to rolling files.",
  hasInput: true,
  configSchema,
  outputPorts: () => ["success", "failure"],
  example: { path: "out/orders-{date}.jsonl", format: "json", rollBytes: 134217728, rollEvery: "1h", keepFiles: 168 },
  docs: `Writes each record's value as one line to a file under the engine's files directory
(\`MILLRACE_FILES_DIR\`, default \`<MILLRACE_DATA>/files\`); paths that leave it (\`..\`, an absolute
path, a symlink leading out) are refused.

- **path** names the files: \`{date}\` (UTC \`yyyy-mm-dd\`) and \`{hour}\` (\`00\`–\`23\`) of when the file
  was started, and \`{seq}\`, the file's number (6 digits, growing; put before the first \`.\` of the
  name when the pattern has none): \`out/orders-{date}.jsonl\` gives \`out/orders-2026-12-06-000001.jsonl\`.
- **format** \`json\`: the value as JSON; \`text\`: a string value as it is (other values as JSON). A
  text value with a line break goes to **failure**.
- A file is written under a \`.partial\` name and renamed to its final name (after an fsync) when it
  rolls: once it holds **rollBytes** bytes, when it is older than **rollEvery**, when its \`{date}\` or
  \`{hour}\` changes, and when the flow stops. A finished file is never written again.
- Only the **keepFiles** newest finished files of the pattern are kept; older ones are deleted.
- Records written go on to **success**. A write error (disk full) is retried with the whole batch.
- Delivery is at-least-once: a crash may write the last batch again. A \`.partial\` file left by a
  process that died is finished when the sink next starts.
- On several engines (or workers), each writes its own files of the pattern.`,
};
