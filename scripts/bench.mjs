// `pnpm bench [--quick]`: the performance benchmark of issue 6 (never part of `pnpm test`).
// The harness lives in bench/ (see bench/README.md).
import "../bench/main.mjs";
