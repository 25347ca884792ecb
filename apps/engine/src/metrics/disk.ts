import { Gauge, type Registry } from "prom-client";
import type { DiskStatus } from "../disk-guard/index.js";

/** The disk guard's figures, read at scrape time: free bytes per watched path and whether it holds the sources. */
export function registerDiskMetrics(registry: Registry, status: () => DiskStatus): void {
  new Gauge({
    name: "millrace_disk_free_bytes",
    help: "Free bytes (for the engine's user) on the file system of each path the disk guard watches; absent while a path cannot be measured",
    labelNames: ["path"],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of status().paths) if (p.freeBytes !== null) this.set({ path: p.path }, p.freeBytes);
    },
  });
  new Gauge({
    name: "millrace_disk_guard_paused",
    help: "1 while free disk space is below its floor on a watched path and the engine's sources are paused",
    registers: [registry],
    collect() {
      this.set(status().low ? 1 : 0);
    },
  });
}
