import type { PrismaClient } from "@millrace/db";
import type { CheckpointStore } from "../runtime/runners.js";

/** Source checkpoints in Postgres (table source_checkpoint), keyed by flow and node. */
export class PgCheckpointStore implements CheckpointStore {
  constructor(private readonly db: PrismaClient) {}

  async load(flowId: string, nodeId: string): Promise<unknown | undefined> {
    const rows = await this.db.$queryRaw<{ checkpoint: unknown }[]>`SELECT checkpoint FROM source_checkpoint WHERE flow_id = ${flowId} AND node_id = ${nodeId}`;
    const c = rows[0]?.checkpoint;
    return c === null ? undefined : c;
  }

  async save(flowId: string, nodeId: string, checkpoint: unknown): Promise<void> {
    const json = JSON.stringify(checkpoint ?? null);
    await this.db.$executeRaw`INSERT INTO source_checkpoint (flow_id, node_id, checkpoint, updated_at) VALUES (${flowId}, ${nodeId}, ${json}::jsonb, now())
      ON CONFLICT (flow_id, node_id) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = now()`;
  }
}
