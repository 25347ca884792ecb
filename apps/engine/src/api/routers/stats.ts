import { z } from "zod";
import { FlowIdSchema } from "@millrace/flow";
import { DomainError } from "../../errors.js";
import { roleProcedure, router, type Context } from "../trpc.js";

const flowId = FlowIdSchema;

function service(ctx: Context) {
  const s = ctx.services.stats;
  if (!s) throw new DomainError("UNAVAILABLE", "this engine keeps no stats (no Kafka configured)");
  return s;
}

export const statsRouter = router({
  /** The flow's stats now, summed over every engine. */
  snapshot: roleProcedure("viewer").input(z.object({ flowId })).query(({ ctx, input }) => service(ctx).snapshot(input.flowId)),

  /** The same, pushed every `intervalMs` (default 1000) until the client goes away (SSE). */
  live: roleProcedure("viewer")
    .input(z.object({ flowId, intervalMs: z.number().int().min(200).max(10_000).optional() }))
    .subscription(async function* ({ ctx, input, signal }) {
      const s = service(ctx);
      const every = input.intervalMs ?? 1000;
      while (!signal?.aborted) {
        const started = Date.now();
        yield await s.snapshot(input.flowId);
        const wait = Math.max(0, every - (Date.now() - started));
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, wait);
          function done() {
            clearTimeout(t);
            signal?.removeEventListener("abort", done);
            resolve();
          }
          signal?.addEventListener("abort", done, { once: true });
        });
      }
    }),
});
