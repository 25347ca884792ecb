// The V8 flags the engine runs with (pnpm start and the benchmark alike): a small young
// generation keeps resident memory low at the same throughput (bench/README.md), and the
// old-space cap stops a runaway flow from eating the machine.
export function engineNodeFlags(heapMb = process.env.MILLRACE_ENGINE_HEAP_MB ?? 512) {
  return ["--max-semi-space-size=8", `--max-old-space-size=${heapMb}`];
}
