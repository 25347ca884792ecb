import type { ExecutionPlan } from "./plan.js";

/** The external topics stateful nodes read directly (their tables have those topics' partitions). */
export function stateInputTopics(plan: ExecutionPlan): string[] {
  return [...new Set(plan.nodes.flatMap((n) => (n.state?.inputTopic === undefined ? [] : [n.state.inputTopic])))];
}

/**
 * The plan with each table that reads an external topic directly partitioned like that topic
 * (`counts`: the topics' partition counts, asked of Kafka at deploy; a topic not in it is created
 * with the planned count). Partition n of the input is folded into the table of partition n, kept
 * in changelog partition n, so the changelog needs exactly the input's partitions.
 */
export function withInputPartitions(plan: ExecutionPlan, counts: ReadonlyMap<string, number>): ExecutionPlan {
  const changelogPartitions = new Map<string, number>();
  const nodes = plan.nodes.map((n) => {
    const input = n.state?.inputTopic;
    const count = input === undefined ? undefined : counts.get(input);
    if (count === undefined || count === n.state!.partitions) return n;
    changelogPartitions.set(n.state!.changelogTopic, count);
    return { ...n, state: { ...n.state!, partitions: count } };
  });
  if (!changelogPartitions.size) return plan;
  const topics = plan.topics.map((t) => {
    const count = changelogPartitions.get(t.name);
    return count === undefined ? t : { ...t, partitions: count };
  });
  return { ...plan, nodes, topics };
}

/**
 * The tables whose changelog (`counts`: the existing changelogs' partition counts) has another
 * number of partitions than the plan would read them in: a key's row would be looked for in
 * another partition than the one holding it, so such a plan must not run over them.
 */
export function repartitionedTables(plan: ExecutionPlan, counts: ReadonlyMap<string, number>): { nodeId: string; changelogTopic: string; has: number; wants: number; inputTopic?: string }[] {
  const out: { nodeId: string; changelogTopic: string; has: number; wants: number; inputTopic?: string }[] = [];
  for (const n of plan.nodes) {
    const has = n.state ? counts.get(n.state.changelogTopic) : undefined;
    if (has === undefined || has === n.state!.partitions) continue;
    out.push({ nodeId: n.id, changelogTopic: n.state!.changelogTopic, has, wants: n.state!.partitions, ...(n.state!.inputTopic === undefined ? {} : { inputTopic: n.state!.inputTopic }) });
  }
  return out;
}
