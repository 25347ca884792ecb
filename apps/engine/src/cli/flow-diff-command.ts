// flow diff: what changed between two saved versions of a flow, as the designer's compare view shows it.
import { diffFlows, formatDiff, type FlowDocument } from "@millrace/flow";
import { catalog } from "@millrace/processors";
import { UsageError, type Parsed } from "./args.js";
import type { EngineClient } from "./client.js";
import { print } from "./output.js";

export const FLOW_DIFF_USAGE = `  flow diff ID V1 V2 [--json]      what changed from version V1 to V2 (a number or "deployed"):
                                   + added, - removed, ~ changed with its fields old → new`;

/** A version as typed: a positive whole number (v3 too), or "deployed" (the flow's deployed version). */
async function resolveVersion(api: EngineClient, flowId: string, typed: string): Promise<number> {
  if (typed === "deployed") {
    // the stored deployment, as the flow list gives it: asks no running engine for its status
    const flow = (await api.flows.list.query()).find((f) => f.id === flowId);
    if (!flow) throw new Error(`flow ${flowId} does not exist`);
    if (!flow.deployment) throw new Error(`flow ${flowId} is not deployed: give a version number instead of "deployed"`);
    return flow.deployment.version;
  }
  const v = Number(typed.replace(/^v/i, ""));
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`a version is a positive whole number or "deployed", not ${JSON.stringify(typed)}\nusage:\n${FLOW_DIFF_USAGE}`);
  return v;
}

export async function flowDiffCommand(p: Parsed, api: () => EngineClient, json: boolean): Promise<number> {
  const [, , flowId, v1, v2] = p.positionals;
  if (!flowId || !v1 || !v2) throw new UsageError(`missing ${!flowId ? "ID" : !v1 ? "V1" : "V2"}\nusage:\n${FLOW_DIFF_USAGE}`);
  const client = api();
  // a version the flow does not have is the engine's NOT_FOUND ("flow … has no version 9"): exit 1
  const [from, to] = await Promise.all([resolveVersion(client, flowId, v1), resolveVersion(client, flowId, v2)]);
  const [a, b] = await Promise.all([client.flows.get.query({ id: flowId, version: from }), client.flows.get.query({ id: flowId, version: to })]);
  // the wire type of a document is its JSON spelling (unknown values widened); the engine sent a FlowDocument
  const diff = diffFlows(a.document as FlowDocument, b.document as FlowDocument, { catalog });
  if (json) print({ flowId, from, to, ...diff });
  else print(`${flowId}: v${from} → v${to}\n${formatDiff(diff)}`);
  return 0;
}
