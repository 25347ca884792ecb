import { Prisma, type PrismaClient } from "@millrace/db";

/** Source checkpoints (table source_checkpoint), keyed by flow and node: where a polled source resumes. */
export class CheckpointRepository {
  constructor(private readonly db: PrismaClient) {}

  async load(flowId: string, nodeId: string): Promise<unknown | undefined> {
    const row = await this.db.sourceCheckpoint.findUnique({ where: { flowId_nodeId: { flowId, nodeId } }, select: { checkpoint: true } });
    const c = row?.checkpoint;
    return c === null ? undefined : c;
  }

  /** One statement (INSERT … ON CONFLICT DO UPDATE): a source saves after every batch. */
  async save(flowId: string, nodeId: string, checkpoint: unknown): Promise<void> {
    const value = checkpoint === undefined || checkpoint === null ? Prisma.JsonNull : (checkpoint as Prisma.InputJsonValue);
    const updatedAt = new Date();
    await this.db.sourceCheckpoint.upsert({
      where: { flowId_nodeId: { flowId, nodeId } },
      create: { flowId, nodeId, checkpoint: value, updatedAt },
      update: { checkpoint: value, updatedAt },
      select: { flowId: true },
    });
  }
}
