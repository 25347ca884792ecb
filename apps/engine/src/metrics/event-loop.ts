import { createHistogram, performance, type RecordableHistogram } from "node:perf_hooks";

/** The sampling period: finer costs a timer wake-up each time. */
const RESOLUTION_MS = 10;

/** How late the engine's thread ran its timer over one window (ms). */
export interface EventLoopFigures {
  p99Ms: number;
  maxMs: number;
}

/**
 * How late a periodic timer fires, in ns, into one histogram per reader (the /metrics scrape and
 * the stats publisher each read and reset their own window). Not perf_hooks'
 * monitorEventLoopDelay: it counts the timer's own period in every sample and, after a reset,
 * drops the first interval, so a stall right after a read would not show.
 */
class EventLoopDelay {
  private readonly readers: RecordableHistogram[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;

  /** A histogram of its own, fed from now on; its reader resets it after each read. */
  reader(): RecordableHistogram {
    const histogram = createHistogram();
    this.readers.push(histogram);
    this.start();
    return histogram;
  }

  private start(): void {
    if (this.timer) return;
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const lateNs = Math.max(1, Math.round((now - last - RESOLUTION_MS) * 1e6));
      for (const h of this.readers) h.record(lateNs);
      last = now;
    }, RESOLUTION_MS);
    this.timer.unref();
  }
}

export const eventLoopDelay = new EventLoopDelay();

/** The window's p99 and max in ms (undefined when nothing was sampled), then a fresh window. */
export function takeEventLoopFigures(h: RecordableHistogram): EventLoopFigures | undefined {
  if (h.count === 0) return undefined;
  const figures = { p99Ms: Math.round(h.percentile(99) / 1e4) / 100, maxMs: Math.round(h.max / 1e4) / 100 };
  h.reset();
  return figures;
}
