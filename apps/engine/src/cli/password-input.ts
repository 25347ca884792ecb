// Where the CLI gets a password: MILLRACE_PASSWORD, else standard input (a prompt without echo on
// a terminal, the first line of a pipe otherwise), so it never has to sit in the command line.
import { UsageError } from "./args.js";

export async function readPassword(prompt: string, env: Record<string, string | undefined> = process.env): Promise<string> {
  const fromEnv = env.MILLRACE_PASSWORD;
  const password = fromEnv !== undefined && fromEnv !== "" ? fromEnv : process.stdin.isTTY ? await promptHidden(prompt) : firstLine(await readAll(process.stdin));
  if (!password) throw new UsageError("no password: set MILLRACE_PASSWORD or type it when asked (or pipe it to standard input)");
  return password;
}

function firstLine(text: string): string {
  const end = text.search(/\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads one line in raw mode so the terminal shows nothing of what is typed. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = "";
    const finish = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString("utf8")) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return finish();
        if (ch === "\u0003") return finish(new UsageError("cancelled"));
        if (ch === "\u007f" || ch === "\b") typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}
