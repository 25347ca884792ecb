// `pnpm bench [--quick]`, `pnpm bench --soak MINUTES`: the performance benchmark (never part of `pnpm test`).
// The harness lives in bench/ (see bench/README.md).
import "../bench/main.mjs";
