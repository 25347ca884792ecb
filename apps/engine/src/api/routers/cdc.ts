import { z } from "zod";
import { mapConnectionSecrets } from "@millrace/flow";
import { redact } from "@millrace/processors/config";
import { pgMessage } from "@millrace/processors/pg-util";
import { postgresClientConfig } from "../../db/connection-test.js";
import { replicationSlotsAt } from "../../db/index.js";
import { reportSlots } from "../../cdc/slots-report.js";
import { DomainError } from "../../errors.js";
import type { ExecutionPlan } from "../../planner/index.js";
import { roleProcedure, router, type Context } from "../trpc.js";

const CDC_TYPE = "postgres-cdc";

/** The slots of the server a postgres connection names, or of the engine's own database. */
async function slotsOf(ctx: Context, connection: string | undefined) {
  if (connection === undefined) {
    return ctx.services.repositories.replicationSlots.ofEngineDatabase().catch((e: unknown) => {
      throw new DomainError("UNAVAILABLE", `cannot read the replication slots of the engine's database: ${pgMessage(e)}`);
    });
  }
  const connections = ctx.services.connections;
  if (!connections) throw new DomainError("UNAVAILABLE", "this engine has no connections service");
  const c = await connections.open(connection);
  if (c.type !== "postgres") throw new DomainError("INVALID", `connection ${connection} is a ${c.type} connection, not a postgres one`);
  const config = postgresClientConfig(c);
  try {
    return await replicationSlotsAt({ ...config, application_name: "millrace cdc slots" });
  } catch (e) {
    const secrets: string[] = [];
    mapConnectionSecrets(c, (v) => {
      if (typeof v === "string") secrets.push(v);
      return v;
    });
    throw new DomainError("UNAVAILABLE", `cannot read the replication slots of connection ${connection}: ${redact(pgMessage(e), secrets)}`);
  }
}

/** Change data capture: what the postgres-cdc nodes leave on the databases they read. */
export const cdcRouter = router({
  /**
   * The replication slots named `mr_…` on a database server (a postgres connection's, or the
   * engine's own), each with the flow node it belongs to, whether that flow exists and is
   * deployed, whether it is read, and the WAL it keeps; `orphaned`: nothing will read it again.
   */
  slots: roleProcedure("operator")
    .input(z.object({ connection: z.string().min(1).max(200).optional() }))
    .query(async ({ ctx, input }) => {
      const slots = await slotsOf(ctx, input.connection);
      const repositories = ctx.services.repositories;
      const running = await repositories.deployments.running();
      const deployed = running.flatMap((d) => ((d.plan as ExecutionPlan | null)?.nodes ?? []).filter((n) => n.type === CDC_TYPE).map((n) => ({ flowId: d.flowId, nodeId: n.id })));
      return reportSlots(slots, deployed, await repositories.replicationSlots.nodesOfType(CDC_TYPE));
    }),
});
