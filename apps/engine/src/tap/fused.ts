import type { MRecord } from "@millrace/processors";
import type { BatchEvent, Observers, RunnerObserver } from "../runtime/observer.js";

/**
 * Taps on fused edges: their records never go through Kafka, so a tap samples them in process,
 * from the runner's batch events on this engine (only this engine's share of the edge when
 * several engines run the flow).
 *
 * A fused edge's target has exactly that one incoming edge (the planner's rule), so the records
 * the target node was given in a batch are exactly the records that crossed the edge. Nothing
 * is copied on the hot path: a subscriber gets the runner's array and takes what it keeps
 * (records are immutable, so keeping references is fine). Costs one boolean check per batch
 * while nobody taps.
 */
export type FusedRecordsListener = (records: readonly MRecord[]) => void;

export class FusedTaps implements RunnerObserver {
  /** deployment → target node of a tapped fused edge → listeners */
  private readonly taps = new Map<string, Map<string, Set<FusedRecordsListener>>>();
  private tapping = false;

  /** Listens to the records crossing the fused edge into `targetNode`; returns the unsubscribe. */
  subscribe(deploymentId: string, targetNode: string, listener: FusedRecordsListener): () => void {
    let byNode = this.taps.get(deploymentId);
    if (!byNode) this.taps.set(deploymentId, (byNode = new Map()));
    let listeners = byNode.get(targetNode);
    if (!listeners) byNode.set(targetNode, (listeners = new Set()));
    listeners.add(listener);
    this.tapping = true;
    return () => {
      listeners.delete(listener);
      if (!listeners.size) byNode.delete(targetNode);
      if (!byNode.size) this.taps.delete(deploymentId);
      this.tapping = this.taps.size > 0;
    };
  }

  get listening(): number {
    let n = 0;
    for (const byNode of this.taps.values()) for (const l of byNode.values()) n += l.size;
    return n;
  }

  onBatch(b: BatchEvent): void {
    if (!this.tapping) return;
    const byNode = this.taps.get(b.deploymentId);
    if (!byNode) return;
    for (const nb of b.nodes) {
      if (!nb.inputs.length) continue;
      const listeners = byNode.get(nb.nodeId);
      if (listeners) for (const l of listeners) l(nb.inputs);
    }
  }
}

const perEngine = new WeakMap<Observers, FusedTaps>();

/** The engine's fused-edge taps, added to its runner observers the first time a tap needs them. */
export function fusedTapsOf(observers: Observers): FusedTaps {
  let taps = perEngine.get(observers);
  if (!taps) {
    taps = new FusedTaps();
    perEngine.set(observers, taps);
    observers.add(taps);
  }
  return taps;
}
