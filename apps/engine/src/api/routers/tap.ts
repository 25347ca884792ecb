import { z } from "zod";
import { EdgeIdSchema, FlowIdSchema } from "@millrace/flow";
import { DomainError } from "../../errors.js";
import { edgeOf, recentRecords, tapEdge } from "../../tap/tap.js";
import { roleProcedure, router, type Context } from "../trpc.js";
import { pick } from "../../audit/index.js";

const flowId = FlowIdSchema;
const edgeId = EdgeIdSchema;

function kafka(ctx: Context) {
  const k = ctx.services.kafka;
  if (!k) throw new DomainError("UNAVAILABLE", "taps need Kafka, and this engine has none configured");
  return k;
}

async function topicOf(ctx: Context, flow: string, edge: string): Promise<string> {
  return (await edgeOf(ctx.services.repositories.deployments, flow, edge)).topic;
}

/** Per engine: how many live taps may run at once (each is a Kafka consumer). */
const MAX_TAPS = 32;
let openTaps = 0;

export const tapRouter = router({
  /**
   * Live records of an edge, from now on (SSE): {key, value, headers, topic, partition, offset,
   * timestamp}. At most 50 records/s per client (older ones are skipped when the edge is
   * faster), sensitive headers masked, `max` records then done. Commits nothing.
   */
  edge: roleProcedure("operator")
    .meta({ audit: "tap.open", auditWhat: (i) => ({ detail: pick(i, "edgeId", "max") }) })
    .input(z.object({ flowId, edgeId, max: z.number().int().min(1).max(100_000).optional() }))
    .subscription(async function* ({ ctx, input, signal }) {
      const k = kafka(ctx);
      const topic = await topicOf(ctx, input.flowId, input.edgeId);
      if (openTaps >= MAX_TAPS) throw new DomainError("TOO_MANY", `${MAX_TAPS} taps are open on this engine already`);
      openTaps++;
      try {
        yield* tapEdge(k, topic, { max: input.max, signal });
      } finally {
        openTaps--;
      }
    }),

  /** The last `limit` records of an edge (read from high − limit of each partition), oldest first. */
  recent: roleProcedure("operator")
    .meta({ audit: "tap.recent", auditWhat: (i) => ({ detail: pick(i, "edgeId", "limit") }) })
    .input(z.object({ flowId, edgeId, limit: z.number().int().min(1).max(1000).default(20) }))
    .query(async ({ ctx, input }) => recentRecords(kafka(ctx), await topicOf(ctx, input.flowId, input.edgeId), input.limit)),
});
