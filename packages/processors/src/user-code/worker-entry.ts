import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * What a user-code worker process runs. A built tree runs worker.js as is. In a TypeScript
 * checkout (the engine under tsx) a worker loading worker.ts through tsx's loader costs about
 * 0.3 s of CPU per start, five times a plain one; a poison record costs a start each, beside the
 * healthy flows. So the first start also bundles worker.ts into plain JavaScript (with the esbuild
 * tsx already brings), and later starts run that; until it is ready, or if it cannot be built,
 * workers load worker.ts through tsx.
 */

const sourceEntry = import.meta.url.endsWith(".ts") ? fileURLToPath(new URL("./worker.ts", import.meta.url)) : undefined;
/** the plain bundle, once built */
let bundledEntry: string | undefined;
let bundling: Promise<string | undefined> | undefined;

/** The worker's entry and node flags. */
export function workerEntry(memoryLimitMb: number): { entry: string; execArgv: string[] } {
  // a young generation of its own size: V8 would size it from the small old-space cap, and JSONata
  // (a promise per evaluation step) then spends most of its time in scavenges
  const heap = [`--max-old-space-size=${memoryLimitMb}`, "--max-semi-space-size=16"];
  if (!sourceEntry) return { entry: fileURLToPath(new URL("./worker.js", import.meta.url)), execArgv: heap };
  if (bundledEntry) return { entry: bundledEntry, execArgv: heap };
  bundling ??= bundle(sourceEntry).then(
    (entry) => (bundledEntry = entry),
    () => undefined, // tsx keeps working
  );
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return { entry: sourceEntry, execArgv: ["--import", tsx, ...heap] };
}

/** The plain bundle once built (undefined: workers keep loading through tsx). For tests. */
export function plainWorkerEntry(): Promise<string | undefined> {
  return bundling ?? Promise.resolve(bundledEntry);
}

interface EsbuildOutput {
  path: string;
  contents: Uint8Array;
}
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ outputFiles: EsbuildOutput[] }>;
}

/**
 * Bundles worker.ts and the modules it imports; npm dependencies stay imports, resolved
 * from node_modules/.cache under this package. The folder is named by the bundle's hash: engines
 * started from the same checkout share it, and a changed source gets a new one.
 */
async function bundle(source: string): Promise<string> {
  const tsxPath = createRequire(import.meta.url).resolve("tsx");
  const esbuild = (await import(pathToFileURL(createRequire(tsxPath).resolve("esbuild")).href)) as Esbuild;
  const packageRoot = join(dirname(source), "..", "..");
  const cache = join(packageRoot, "node_modules", ".cache", "millrace-user-code");
  const staging = join(cache, `staging-${process.pid}-${Date.now()}`);
  const { outputFiles } = await esbuild.build({
    entryPoints: { worker: source },
    bundle: true,
    splitting: true, // the javascript sandbox stays a chunk loaded on first use
    format: "esm",
    platform: "node",
    target: "node20",
    external: npmDependencies(packageRoot),
    outdir: staging,
    outExtension: { ".js": ".mjs" },
    write: false,
    logLevel: "silent",
  });
  const hash = createHash("sha256");
  for (const f of outputFiles) hash.update(f.path.slice(staging.length)).update(f.contents);
  const dir = join(cache, hash.digest("hex").slice(0, 16));
  const entry = join(dir, "worker.mjs");
  if (existsSync(entry)) return entry;
  await mkdir(staging, { recursive: true });
  try {
    for (const f of outputFiles) await writeFile(f.path, f.contents);
    await rename(staging, dir);
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    // another engine wrote the same bundle first
    if (!existsSync(entry)) throw e;
  }
  return entry;
}

/** This package's dependencies from the registry (workspace packages are TypeScript: bundled). */
function npmDependencies(packageRoot: string): string[] {
  const manifest = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  return Object.entries(manifest.dependencies ?? {})
    .filter(([, version]) => !version.startsWith("workspace:"))
    .map(([name]) => name);
}
