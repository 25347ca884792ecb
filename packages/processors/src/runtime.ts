/** Node-only entry: the processor implementations (pg, quickjs). Not for the browser bundle. */
import { specs } from "./index.js";
import type { ProcessorImpl } from "./sdk.js";

/**
 * Every registered spec's implementation, from the folder named after its type
 * (`catalog/<type>/impl.ts` exports `impl`), so registering a processor is its line in index.ts.
 * `@vite-ignore`: Vite (vitest) would turn the template into a glob of `impl.js` files, and ours are `.ts`.
 */
export const implementations: Record<string, ProcessorImpl> = Object.fromEntries(
  await Promise.all(specs.map(async (s) => [s.type, ((await import(/* @vite-ignore */ `./catalog/${s.type}/impl.js`)) as { impl: ProcessorImpl }).impl] as const)),
);

export type { HttpListenAccess, HttpListenSource } from "./catalog/http-listen/impl.js";
export { isOfferableSource, isSourceProcessor } from "./sdk.js";
export { closeUserCodePool, configureUserCodePool, defaultWorkerCount as defaultUserCodeWorkers } from "./user-code/pool.js";
export { mirrorRules, NameSelection, type MirrorRules } from "./catalog/kafka-mirror/impl.js";
