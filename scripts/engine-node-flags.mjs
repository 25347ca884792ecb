// The V8 flags the engine runs with (pnpm start and the benchmark alike): a young generation of
// V8's default size on 64-bit (16 MB semi-spaces), since a smaller one (8 MB) lets the records of
// batches in flight survive into the old space, which cost the stateful path about a fifth of its
// throughput (bench/README.md, B7), and the old-space cap stops a runaway flow from eating the machine.
export function engineNodeFlags(heapMb = process.env.MILLRACE_ENGINE_HEAP_MB ?? 512) {
  return ["--max-semi-space-size=16", `--max-old-space-size=${heapMb}`];
}
