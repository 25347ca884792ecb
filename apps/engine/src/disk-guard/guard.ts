import { statfs } from "node:fs/promises";
import { errorMessage, type Logger } from "../log.js";

/** Free and total bytes of the file system holding a path (what an unprivileged process may still write). */
export interface DiskSpace {
  freeBytes: number;
  totalBytes: number;
}

/** Measures a watched path; tests inject one that reports whatever space they need. */
export type FreeSpaceProbe = (path: string) => Promise<DiskSpace>;

export const statfsProbe: FreeSpaceProbe = async (path) => {
  const s = await statfs(path);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
};

export interface DiskGuardSettings {
  /** directories whose file systems must keep free space (the data directory, extra ones) */
  paths: string[];
  /** low below this many free bytes (0: no absolute floor) */
  minFreeBytes: number;
  /** low below this share of the file system free, in percent (0: no relative floor) */
  minFreePercent: number;
  /** once low, sources resume only at the floor plus this many bytes, so they do not flap around it */
  resumeMarginBytes: number;
  /** how often the paths are measured (ms) */
  intervalMs: number;
  /** absent: statfs */
  probe?: FreeSpaceProbe;
}

export interface WatchedPath {
  path: string;
  /** null until measured, or while the path cannot be measured */
  freeBytes: number | null;
  totalBytes: number | null;
  /** the floor this path is held to (bytes), null until measured */
  minFreeBytes: number | null;
  low: boolean;
  /** why the path cannot be measured (it then never counts as low) */
  error?: string;
}

export interface DiskStatus {
  /** some watched path is low: the engine's sources are paused */
  low: boolean;
  paths: WatchedPath[];
}

/** What the flow runtimes follow: whether sources must hold, and its changes. */
export interface DiskState {
  readonly low: boolean;
  onChange(listener: (low: boolean) => void): () => void;
}

const MB = 1024 * 1024;
const mb = (bytes: number) => `${Math.round(bytes / MB)} MB`;

/**
 * Watches the free space of the file systems the engine's data lives on. When one falls below its
 * floor the guard turns low (sources pause, nothing is dropped: records not polled stay where they
 * come from); it turns back once every path is above its floor plus the resume margin. A path that
 * cannot be measured is logged once and never counts as low: a probe failure must not stop flows.
 */
export class DiskGuard implements DiskState {
  private readonly watched: WatchedPath[];
  private readonly failing = new Set<string>();
  private readonly listeners = new Set<(low: boolean) => void>();
  private readonly probe: FreeSpaceProbe;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private _low = false;

  constructor(
    private readonly settings: DiskGuardSettings,
    private readonly log: Logger,
  ) {
    this.watched = [...new Set(settings.paths)].map((path) => ({ path, freeBytes: null, totalBytes: null, minFreeBytes: null, low: false }));
    this.probe = settings.probe ?? statfsProbe;
  }

  get low(): boolean {
    return this._low;
  }

  onChange(listener: (low: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): DiskStatus {
    return { low: this._low, paths: this.watched.map((w) => ({ ...w })) };
  }

  /** Measures at once, then every intervalMs. */
  start(): Promise<void> {
    this.timer ??= setInterval(() => void this.check(), this.settings.intervalMs);
    this.timer.unref();
    return this.check();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Measures every path once (concurrent calls share one measurement) and tells the listeners when the verdict changes. */
  check(): Promise<void> {
    this.checking ??= this.measureAll().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async measureAll(): Promise<void> {
    await Promise.all(this.watched.map((w) => this.measure(w)));
    const low = this.watched.some((w) => w.low);
    if (low === this._low) return;
    this._low = low;
    if (low) {
      const lines = this.watched.filter((w) => w.low).map((w) => `${w.path}: ${mb(w.freeBytes!)} free, floor ${mb(w.minFreeBytes!)}`);
      this.log.warn(
        { paths: this.status().paths },
        `disk space low (${lines.join("; ")}): sources paused until there is ${mb(this.settings.resumeMarginBytes)} more than the floor (flows keep draining what is queued; free space or raise MILLRACE_DISK_MIN_FREE_MB / MILLRACE_DISK_MIN_FREE_PERCENT)`,
      );
    } else this.log.info({ paths: this.status().paths }, "disk space back above its floor: sources resumed");
    for (const l of this.listeners) {
      try {
        l(low);
      } catch (e) {
        this.log.error({ err: e }, `a disk guard listener failed: ${errorMessage(e)}; the others were told`);
      }
    }
  }

  private async measure(w: WatchedPath): Promise<void> {
    let space: DiskSpace;
    try {
      space = await this.probe(w.path);
      if (!Number.isFinite(space.freeBytes) || !Number.isFinite(space.totalBytes)) throw new Error(`the probe answered ${JSON.stringify(space)}`);
    } catch (e) {
      const error = errorMessage(e);
      if (!this.failing.has(w.path)) {
        this.failing.add(w.path);
        this.log.warn({ err: e, path: w.path }, `cannot measure the free space of ${w.path} (${error}); it is not counted as low, measured again every ${this.settings.intervalMs / 1000} s (not logged again until it works; check MILLRACE_DATA / MILLRACE_DISK_WATCH)`);
      }
      Object.assign(w, { freeBytes: null, totalBytes: null, minFreeBytes: null, low: false, error });
      return;
    }
    if (this.failing.delete(w.path)) this.log.info({ path: w.path }, `the free space of ${w.path} can be measured again`);
    const floor = Math.max(this.settings.minFreeBytes, (space.totalBytes * this.settings.minFreePercent) / 100);
    const low = w.low ? space.freeBytes < floor + this.settings.resumeMarginBytes : space.freeBytes < floor;
    Object.assign(w, { freeBytes: space.freeBytes, totalBytes: space.totalBytes, minFreeBytes: Math.round(floor), low });
    delete w.error;
  }
}
