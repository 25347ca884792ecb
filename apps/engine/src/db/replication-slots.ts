import pg from "pg";
import { listSlots, type ReplicationSlotRow } from "@millrace/processors/catalog/postgres-cdc/setup";
import { query, sql, type Queryable } from "./sql.js";

/**
 * The replication slots postgres-cdc nodes leave on a server, and the nodes of flows that may own
 * one. The slots' query is the processor's own (the same on any server); this file only opens it.
 */
export class ReplicationSlotRepository {
  constructor(private readonly pool: Queryable) {}

  /** The `mr_…` slots of the server holding the engine's own database. */
  ofEngineDatabase(): Promise<ReplicationSlotRow[]> {
    return listSlots(this.pool);
  }

  /** Every node of type `type` in any version of a flow that still exists (a slot's possible owners). */
  async nodesOfType(type: string): Promise<{ flowId: string; nodeId: string }[]> {
    const r = await query<{ flowId: string; nodeId: string }>(
      this.pool,
      sql`SELECT DISTINCT v.flow_id AS "flowId", n->>'id' AS "nodeId"
            FROM flow_version v CROSS JOIN LATERAL jsonb_array_elements(v.document->'nodes') AS n
           WHERE n->>'type' = ${type}`,
    );
    return r.rows;
  }
}

/** The `mr_…` slots of another server (a postgres connection's), through one short-lived connection. */
export async function replicationSlotsAt(config: pg.ClientConfig): Promise<ReplicationSlotRow[]> {
  const client = new pg.Client(config);
  // a session dropped mid-query also rejects the query; unheard, the event would end the process
  client.on("error", () => {});
  await client.connect();
  try {
    return await listSlots(client);
  } finally {
    await client.end().catch(() => {});
  }
}
