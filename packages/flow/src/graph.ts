/**
 * Graph helpers over node ids. Iterative on purpose: a 10,000-node chain must not overflow
 * the stack the way a recursive DFS would.
 */

export interface Link {
  from: string;
  to: string;
}

function adjacency(nodes: readonly string[], links: readonly Link[]): Map<string, string[]> {
  const adj = new Map<string, string[]>();
  for (const n of nodes) adj.set(n, []);
  for (const l of links) {
    if (adj.has(l.from) && adj.has(l.to)) adj.get(l.from)!.push(l.to);
  }
  return adj;
}

/**
 * One concrete cycle per strongly connected component that has one (Tarjan's algorithm),
 * each as node ids `[a, b, c]` meaning a → b → c → a. Links to unknown nodes are ignored.
 */
export function findCycles(nodes: readonly string[], links: readonly Link[]): string[][] {
  const adj = adjacency(nodes, links);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;

  for (const start of adj.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; i: number }> = [{ node: start, i: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const succ = adj.get(frame.node)!;
      if (frame.i < succ.length) {
        const w = succ[frame.i++];
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push({ node: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== frame.node);
        components.push(comp);
      }
    }
  }

  const cycles: string[][] = [];
  for (const comp of components) {
    const members = new Set(comp);
    const first = [...comp].sort()[0];
    if (comp.length === 1 && !adj.get(first)!.includes(first)) continue;
    // Walk inside the component until a node repeats: that stretch is a real cycle.
    const seenAt = new Map<string, number>();
    const walk: string[] = [];
    let cur = first;
    while (!seenAt.has(cur)) {
      seenAt.set(cur, walk.length);
      walk.push(cur);
      cur = adj.get(cur)!.find((w) => members.has(w))!;
    }
    cycles.push(walk.slice(seenAt.get(cur)!));
  }
  return cycles;
}

/** Whether adding from → to would close a cycle, i.e. `from` is reachable from `to`. */
export function wouldCreateCycle(nodes: readonly string[], links: readonly Link[], from: string, to: string): boolean {
  if (from === to) return true;
  const adj = adjacency(nodes, links);
  const seen = new Set<string>([to]);
  const todo = [to];
  while (todo.length > 0) {
    const n = todo.pop()!;
    for (const w of adj.get(n) ?? []) {
      if (w === from) return true;
      if (!seen.has(w)) {
        seen.add(w);
        todo.push(w);
      }
    }
  }
  return false;
}
