import { UsageError, type Parsed } from "./args.js";
import type { engineClient } from "./client.js";

/** deploy / stop / stats: wired once the deployments API lands (engine issue). */
export async function runDeployCommands(cmd: string, p: Parsed, _api: () => ReturnType<typeof engineClient>, _json: boolean): Promise<number> {
  throw new UsageError(`unknown command "${[cmd, ...p.positionals.slice(1, 2)].join(" ")}" (see \`millrace --help\`)`);
}
