import { execFile, type ExecFileException } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "./index.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliTarget {
  /** the engine the command talks to (--url); absent: no --url, for commands that need no engine */
  url?: string;
  /** sent as MILLRACE_TOKEN */
  token?: string;
  /** variables over this process's environment; an undefined value removes one */
  env?: Record<string, string | undefined>;
  /** written to the command's standard input, which is then closed */
  input?: string;
}

/**
 * Runs `millrace <args>` (node with tsx's loader on the CLI's source, from the repository's root)
 * and resolves with its exit code and output, whatever the code. A command that could not run
 * or was killed by a signal rejects: that is no answer of the CLI's.
 */
export function runCli(args: string[], target: CliTarget = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...(target.token !== undefined ? { MILLRACE_TOKEN: target.token } : {}) };
  for (const [name, value] of Object.entries(target.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const argv = ["--import", "tsx", join(repoRoot, "apps/engine/src/cli/main.ts"), ...args, ...(target.url !== undefined ? ["--url", target.url] : [])];
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, argv, { cwd: repoRoot, env }, (err: ExecFileException | null, stdout, stderr) => {
      if (!err) resolve({ code: 0, stdout, stderr });
      else if (typeof err.code === "number") resolve({ code: err.code, stdout, stderr });
      else reject(new Error(`millrace ${args.join(" ")} did not finish (${err.signal ?? err.code ?? err.message}):\n${stderr}`));
    });
    if (target.input !== undefined) child.stdin!.end(target.input);
  });
}

/** runCli for a command that must succeed: any other exit code throws with what it printed. */
export async function runCliOk(args: string[], target: CliTarget = {}): Promise<CliResult> {
  const result = await runCli(args, target);
  if (result.code !== 0) throw new Error(`millrace ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result;
}
