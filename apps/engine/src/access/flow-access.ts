// Per-flow access: who may see a flow at all. A restricted flow is seen only by its owner, the
// admins and the users and groups on its list; to anyone else it answers exactly as a flow that
// does not exist (NOT_FOUND), so its existence is not revealed. Roles still apply on top: this
// decides visibility, api/trpc.ts's roleProcedure what the caller may do with what it sees.
import type { FlowAccessList, FlowAccessRepository, FlowStanding } from "../db/index.js";
import type { Principal } from "../auth/index.js";
import { DomainError } from "../errors.js";

/** The access answer for one flow, as flows.access.get gives it. */
export interface FlowAccessView extends FlowAccessList {
  flowId: string;
  owner: string | null;
  /** may the caller change the list (its owner or an admin) */
  canChange: boolean;
}

/** The same rule for a user name and a group name (letters, digits, ".", "_", "-"). */
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
const MAX_NAMES = 200;

function sees(p: Principal, s: FlowStanding): boolean {
  return p.role === "admin" || !s.restricted || s.owner === p.name || s.listed;
}

function notFound(flowId: string): DomainError {
  return new DomainError("NOT_FOUND", `flow ${flowId} does not exist`);
}

export class FlowAccess {
  constructor(private readonly repo: FlowAccessRepository) {}

  /**
   * NOT_FOUND when the flow exists but is hidden from the caller. A flow that does not exist
   * passes: the procedure answers for it as it always has.
   */
  async requireVisible(p: Principal, flowId: string): Promise<void> {
    if (p.role === "admin") return;
    const s = await this.repo.standing(flowId, p.name);
    if (s && !sees(p, s)) throw notFound(flowId);
  }

  /** Ids of the flows hidden from the caller (none for an admin). */
  async hiddenFrom(p: Principal): Promise<ReadonlySet<string>> {
    return p.role === "admin" ? new Set() : this.repo.hiddenFrom(p.name);
  }

  async describe(p: Principal, flowId: string): Promise<FlowAccessView> {
    const s = await this.repo.standing(flowId, p.name);
    if (!s || !sees(p, s)) throw notFound(flowId);
    return { flowId, owner: s.owner, restricted: s.restricted, users: s.users, groups: s.groups, canChange: p.role === "admin" || s.owner === p.name };
  }

  /** Replaces the list: its owner or an admin only (FORBIDDEN for others who see the flow). Returns the old and new lists. */
  async change(p: Principal, flowId: string, next: FlowAccessList): Promise<{ before: FlowAccessList; after: FlowAccessList }> {
    const s = await this.repo.standing(flowId, p.name);
    if (!s || !sees(p, s)) throw notFound(flowId);
    if (p.role !== "admin" && s.owner !== p.name) {
      throw new DomainError(
        "FORBIDDEN",
        s.owner === null
          ? `only an admin can change who may see flow ${flowId} (it has no owner)`
          : `only the flow's owner (${s.owner}) or an admin can change who may see flow ${flowId}`,
      );
    }
    const after: FlowAccessList = { restricted: next.restricted, users: checkedNames(next.users, "user"), groups: checkedNames(next.groups, "group") };
    await this.repo.set(flowId, after);
    return { before: { restricted: s.restricted, users: s.users, groups: s.groups }, after };
  }
}

/** Group names as an admin sets them on a user: the name rule, no duplicates. */
export function checkedGroupNames(groups: readonly string[]): string[] {
  return checkedNames(groups, "group");
}

function checkedNames(names: readonly string[], kind: "user" | "group"): string[] {
  const unique = [...new Set(names.map((n) => n.trim()).filter((n) => n !== ""))];
  if (unique.length > MAX_NAMES) throw new DomainError("INVALID", `at most ${MAX_NAMES} ${kind} names`);
  const bad = unique.find((n) => !NAME.test(n));
  if (bad !== undefined) throw new DomainError("INVALID", `"${bad.slice(0, 80)}" is not a ${kind} name: 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  return unique.sort();
}

/** A lineage graph without the events of flows hidden from the caller (lineage crosses flows). */
export function withoutHiddenFlows<G extends { nodes: { id: string; flowId: string }[]; links: { from: string; to: string }[] }>(graph: G, hidden: ReadonlySet<string>): G {
  if (!hidden.size || !graph.nodes.some((n) => hidden.has(n.flowId))) return graph;
  const nodes = graph.nodes.filter((n) => !hidden.has(n.flowId));
  const kept = new Set(nodes.map((n) => n.id));
  return { ...graph, nodes, links: graph.links.filter((l) => kept.has(l.from) && kept.has(l.to)) };
}
