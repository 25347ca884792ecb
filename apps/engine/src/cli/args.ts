/** Minimal argv parsing: positionals plus `--flag`, `--key value`, `-o value`. */
export interface Parsed {
  positionals: string[];
  flags: Map<string, string | true>;
}

const TAKES_VALUE = new Set(["-o", "--output", "--version", "--url", "--user", "--role", "--name", "--action", "--flow", "--since", "--until", "--limit", "--junit", "--case", "--file", "--connection"]);

export function parseArgs(argv: string[]): Parsed {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("-") && a !== "-") {
      const eq = a.indexOf("=");
      if (eq > 0) flags.set(a.slice(0, eq), a.slice(eq + 1));
      else if (TAKES_VALUE.has(a)) {
        const v = argv[++i];
        if (v === undefined) throw new UsageError(`${a} needs a value`);
        flags.set(a, v);
      } else flags.set(a, true);
    } else positionals.push(a);
  }
  return { positionals, flags };
}

export class UsageError extends Error {}
