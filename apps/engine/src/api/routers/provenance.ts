import { z } from "zod";
import { EdgeIdSchema, FlowIdSchema, NodeIdSchema } from "@millrace/flow";
import { EVENT_TYPES } from "../../provenance/events.js";
import { DomainError } from "../../errors.js";
import { FlowAccess, withoutHiddenFlows } from "../../access/index.js";
import { roleProcedure, router, type Context } from "../trpc.js";
import { field, pick } from "../../audit/index.js";

const flowId = FlowIdSchema;
const recordId = z.string().min(1).max(500);
const offset = z.string().regex(/^\d{1,19}$/, "an offset (decimal digits)");

function provenance(ctx: Context) {
  const p = ctx.services.provenance;
  if (!p) throw new DomainError("UNAVAILABLE", "this engine keeps no provenance");
  return p;
}

function replayer(ctx: Context) {
  const r = provenance(ctx).replay;
  if (!r) throw new DomainError("UNAVAILABLE", "replay needs Kafka, and this engine has none configured");
  return r;
}

export const provenanceRouter = router({
  /**
   * A record's lineage across nodes (and flows): ancestors and descendants as a graph of events
   * ({recordId, nodeId, type, at, topic, partition, offset, port}) with links parent → child.
   * Events in flows hidden from the caller are left out, as if they never happened.
   */
  lineage: roleProcedure("operator")
    .input(z.object({ recordId, maxEvents: z.number().int().min(1).max(5000).optional() }))
    .query(async ({ ctx, input }) => {
      const [graph, hidden] = await Promise.all([
        provenance(ctx).store.lineage(input.recordId, { maxEvents: input.maxEvents }),
        new FlowAccess(ctx.services.repositories.flowAccess).hiddenFrom(ctx.principal),
      ]);
      return withoutHiddenFlows(graph, hidden);
    }),

  /** Events of a flow, optionally of one node and in a time range [from, to) (ms since epoch), newest first. */
  events: roleProcedure("operator")
    .input(
      z.object({
        flowId,
        nodeId: NodeIdSchema.optional(),
        from: z.number().int().nonnegative().optional(),
        to: z.number().int().nonnegative().optional(),
        types: z.array(z.enum(EVENT_TYPES)).optional(),
        limit: z.number().int().min(1).max(10_000).default(100),
      }),
    )
    .query(({ ctx, input }) => provenance(ctx).store.events(input)),

  /** Re-sends one record into the edge topic it was read from, with a new lineage id (parent: the original) and a REPLAY event. */
  replay: roleProcedure("operator")
    .meta({ audit: "flow.replay", auditWhat: (i, o) => ({ detail: { ...pick(i, "recordId", "nodeId"), copyRecordId: field(o, "recordId"), ...pick(o, "topic", "partition", "offset") } }) })
    .input(z.object({ flowId, recordId, nodeId: NodeIdSchema.optional() }))
    .mutation(({ ctx, input }) => replayer(ctx).replay(input)),

  /** Re-sends the records at offsets [fromOffset, toOffset] of one partition of an edge (at most 10,000). */
  replayRange: roleProcedure("operator")
    .meta({ audit: "flow.replayRange", auditWhat: (i, o) => ({ detail: { ...pick(i, "edgeId", "partition", "fromOffset", "toOffset"), ...pick(o, "count", "topic") } }) })
    .input(z.object({ flowId, edgeId: EdgeIdSchema, partition: z.number().int().nonnegative(), fromOffset: offset, toOffset: offset }))
    .mutation(({ ctx, input }) => replayer(ctx).replayRange(input)),
});
