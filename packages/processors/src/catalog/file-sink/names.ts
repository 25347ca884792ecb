/**
 * File names of a file-sink pattern: the name of a new file (date, hour, sequence number) and
 * recognising the pattern's finished and partial files in its directory.
 */
export interface SinkNames {
  /** the directory part of the pattern ("" for the files directory itself) */
  dir: string;
  /** the final file name for a file started at `at` with number `seq` */
  name(at: Date, seq: number): string;
  /** the period part of a name (date and hour placeholders filled): a change means a roll */
  period(at: Date): string;
  /** the sequence number of a finished file of the pattern, or undefined for another file */
  finishedSeq(fileName: string): number | undefined;
  /** the final name and writer pid of a partial file of the pattern, or undefined */
  partial(fileName: string): { final: string; pid: number } | undefined;
}

export const PARTIAL = ".partial";
const SEQ_DIGITS = 6;

export function sinkNames(pattern: string): SinkNames {
  const slash = pattern.lastIndexOf("/");
  const dir = pattern.slice(0, slash + 1).replace(/\/$/, "");
  let file = pattern.slice(slash + 1);
  if (!file.includes("{seq}")) {
    const dot = file.indexOf(".", file.lastIndexOf("}") + 1);
    file = dot < 0 ? `${file}-{seq}` : `${file.slice(0, dot)}-{seq}${file.slice(dot)}`;
  }
  const fill = (at: Date, seq: string) => file.replace(/\{date\}/g, at.toISOString().slice(0, 10)).replace(/\{hour\}/g, at.toISOString().slice(11, 13)).replace(/\{seq\}/g, seq);
  const source = file
    .split(/(\{(?:date|hour|seq)\})/)
    .map((part) => (part === "{date}" ? "\\d{4}-\\d{2}-\\d{2}" : part === "{hour}" ? "\\d{2}" : part === "{seq}" ? "(\\d+)" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  const finished = new RegExp(`^${source}$`);
  const partial = new RegExp(`^(${source.replace("(\\d+)", "\\d+")})\\.(\\d+)\\${PARTIAL}$`);
  return {
    dir,
    name: (at, seq) => fill(at, String(seq).padStart(SEQ_DIGITS, "0")),
    period: (at) => fill(at, ""),
    finishedSeq(fileName) {
      const m = finished.exec(fileName);
      return m ? Number(m[1]) : undefined;
    },
    partial(fileName) {
      const m = partial.exec(fileName);
      return m ? { final: m[1]!, pid: Number(m[2]) } : undefined;
    },
  };
}
