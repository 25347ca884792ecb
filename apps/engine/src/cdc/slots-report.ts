import { slotNameFor, type ReplicationSlotRow } from "@millrace/processors/catalog/postgres-cdc/setup";

/** One `mr_…` replication slot, with the flow node it belongs to and whether anything will read it again. */
export interface SlotReport {
  slot: string;
  database: string | null;
  /** a connection reads it now */
  active: boolean;
  /** WAL the server keeps for it, in bytes (null: none reserved) */
  retainedBytes: number | null;
  walStatus: string | null;
  /** the node whose slot it is (null: no node of an existing flow has this slot's name) */
  flowId: string | null;
  nodeId: string | null;
  /** its flow still exists */
  flowExists: boolean;
  /** a running deployment has the node: its engine reads (or will read) the slot */
  deployed: boolean;
  /** nothing will read it again: it keeps WAL on the disk until dropped */
  orphaned: boolean;
}

type NodeRef = { flowId: string; nodeId: string };

/**
 * Names each slot's node by the slot name postgres-cdc gives it (`slotNameFor`): deployed nodes
 * (running deployments' plans) first, then every postgres-cdc node of the flows that exist.
 * A slot no deployed node owns is orphaned: a stopped flow drops its slot, so one left behind
 * belongs to a flow deleted, stopped or changed while no engine ran it.
 */
export function reportSlots(slots: readonly ReplicationSlotRow[], deployed: readonly NodeRef[], existing: readonly NodeRef[]): SlotReport[] {
  const owners = new Map<string, NodeRef & { deployed: boolean }>();
  for (const n of existing) owners.set(slotNameFor(n.flowId, n.nodeId), { ...n, deployed: false });
  for (const n of deployed) owners.set(slotNameFor(n.flowId, n.nodeId), { ...n, deployed: true });
  return slots.map((s) => {
    const owner = owners.get(s.name);
    return {
      slot: s.name,
      database: s.database,
      active: s.active,
      retainedBytes: s.retainedBytes,
      walStatus: s.walStatus,
      flowId: owner?.flowId ?? null,
      nodeId: owner?.nodeId ?? null,
      flowExists: owner !== undefined,
      deployed: owner?.deployed ?? false,
      orphaned: !owner?.deployed,
    };
  });
}
