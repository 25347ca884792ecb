import { z } from "zod";
import { relativePathProblem } from "../../file-paths.js";
import type { ProcessorSpec } from "../../sdk.js";
import { meta } from "../../schema.js";

export const MIB = 1024 * 1024;

export const configSchema = z.strictObject({
  path: z
    .string({ error: "a path (glob) is required" })
    .min(1, "the path is empty")
    .superRefine((p, ctx) => {
      const problem = relativePathProblem(p);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .meta(meta("Files to tail, a glob relative to the engine's files directory: * and ? within a directory, ** across directories.", { placeholder: "logs/*.log" })),
  format: z.enum(["text", "json"]).default("text").meta(meta("text: each line's value is the line; json: each line is parsed (a line that is not JSON goes to failure).")),
  fromBeginning: z.boolean().default(false).meta(meta("At the first start, read files that already exist from their start (default: only lines written from now on).")),
  maxLineBytes: z
    .number()
    .int()
    .min(16, "maxLineBytes is at least 16")
    .max(64 * MIB, "maxLineBytes is at most 64 MiB")
    .default(MIB)
    .meta(meta("Longest line (bytes); a longer one goes to failure, cut to this length.")),
  pollIntervalMs: z
    .number()
    .int()
    .min(50, "pollIntervalMs is at least 50")
    .max(60_000, "pollIntervalMs is at most one minute")
    .default(500)
    .meta(meta("Once caught up, how often the files are checked for new lines and new files (ms).")),
});
export type FileSourceConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<FileSourceConfig> = {
  type: "file-source",
  version: 1,
  kind: "source",
  title: "File source",
  description: "Tails the lines of files matching a glob, following rotation.",
  hasInput: false,
  configSchema,
  outputPorts: () => ["success", "failure"],
  example: { path: "logs/*.log", format: "text", fromBeginning: false, maxLineBytes: MIB, pollIntervalMs: 500 },
  docs: `Emits one record per line written to the files matching **path**, a glob relative to the
engine's files directory (\`MILLRACE_FILES_DIR\`, default \`<MILLRACE_DATA>/files\`): \`*\` and \`?\`
within a directory, \`**\` across directories, \`[ab]\` a character class. Paths that leave that
directory (\`..\`, an absolute path, a symlink leading out) are refused.

- **format** \`text\`: the value is the line (without its line break); \`json\`: the line parsed; a
  line that is not JSON goes to **failure** with the file and line number in \`mr.error\`.
- Each record has the header \`file.path\` (the file, relative to the files directory). Only complete
  lines are read: a last line without its line break waits for it.
- A line longer than **maxLineBytes** (default 1 MiB) goes to **failure**, cut to that length.
- Files created later are picked up (checked every **pollIntervalMs**) and read from their start.
  At the first start, existing files are read from their start with **fromBeginning**, else from
  their end.
- Rotation: a file renamed away is read to its end before it is let go (kept 2 s after it stops
  growing), and the new file under the name is read from its start; a file truncated in place is
  read again from its start. Include the rotated names in the glob (\`app.log*\`) so that lines
  written just before a rotation while the flow was stopped are not missed.
- The checkpoint is each file's position by its identity (device and inode), saved after Kafka
  acknowledged the lines: a restart neither loses nor repeats a line. At-least-once, also in an
  exactly-once flow: a crash (kill -9) may repeat the lines of its last moments.
- Runs on one engine at a time, which must see the files.`,
};
