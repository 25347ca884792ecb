// How the adapter reaches into kafkajs: its internal modules by path, and swapping a module's
// export in Node's module cache before the kafkajs modules that capture it (at their load) are loaded.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** Loads a kafkajs internal module, e.g. `src/utils/long.js`. */
export function kafkajsInternal<T>(path: string): T {
  return require(resolveKafkajs(path)) as T;
}

/** The absolute path of a kafkajs file (throws when this kafkajs has no such file). */
export function resolveKafkajs(path: string): string {
  return require.resolve(`kafkajs/${path}`);
}

/** The kafkajs version actually installed. */
export function installedKafkajsVersion(): string {
  return (require("kafkajs/package.json") as { version: string }).version;
}

/**
 * Replaces the export of the kafkajs module at `path` by `replacement`, unless one of `users`
 * (kafkajs modules that capture it when they load) is loaded already. Returns why it did not, or
 * null once the replacement is in place (also when it was already).
 */
export function replaceExport(path: string, users: string[], replacement: unknown): string | null {
  const file = resolveKafkajs(path);
  if (require.cache[file]?.exports === replacement) return null;
  const loaded = users.filter((u) => require.cache[resolveKafkajs(u)]);
  if (loaded.length) return `too late: kafkajs's ${loaded.join(", ")} was loaded before the adapter`;
  require(file);
  const mod = require.cache[file];
  if (!mod) return `kafkajs's ${path} is not in the CommonJS module cache`;
  mod.exports = replacement;
  return null;
}
