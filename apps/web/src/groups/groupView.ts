import type { FlowDocument, FlowEdge, FlowGroup, FlowNode, Position } from "@millrace/flow";

/**
 * What the canvas draws of a flow with process groups, at one level: the whole flow, or the
 * inside of an opened group. A collapsed group is one box; the edges that cross its boundary are
 * drawn to it, one port per inner node fed from outside (input) and per inner node's output port
 * sending outside (output). An expanded group is a frame drawn around its contents. No React here.
 */

/** React Flow id of a group's box or frame; `:` never occurs in a node id, so the two never clash. */
export const GROUP_PREFIX = "group:";
export const groupRfId = (groupId: string) => `${GROUP_PREFIX}${groupId}`;
export const groupIdOf = (rfId: string): string | undefined => (rfId.startsWith(GROUP_PREFIX) ? rfId.slice(GROUP_PREFIX.length) : undefined);

export interface BoxPort {
  /** handle id on the box */
  handle: string;
  label: string;
}

export interface GroupBox {
  group: FlowGroup;
  position: Position;
  inputs: BoxPort[];
  outputs: BoxPort[];
  /** how many nodes are in it, nested groups included */
  nodeCount: number;
}

export interface GroupFrame {
  group: FlowGroup;
  position: Position;
  width: number;
  height: number;
  /** nesting depth below the level shown: an inner frame is drawn over its parent */
  depth: number;
}

/** An edge with at least one end on a box: where React Flow draws it. */
export interface BoxEdge {
  edge: FlowEdge;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

export interface GroupView {
  /** the group opened (undefined: the whole flow) and the way to it, outermost first */
  open?: FlowGroup;
  path: FlowGroup[];
  nodes: FlowNode[];
  edges: FlowEdge[];
  boxes: GroupBox[];
  frames: GroupFrame[];
  boxEdges: BoxEdge[];
}

type Sizes = Readonly<Record<string, { width: number; height: number } | undefined>>;
const NODE_SIZE = { width: 210, height: 90 };
const FRAME_PAD = 24;
const FRAME_HEAD = 34;

/**
 * The view at `openId` (undefined, or a group that no longer exists, e.g. after an undo: the whole
 * flow). Without groups the document's own arrays come back, so nothing is rebuilt downstream.
 */
export function groupView(doc: Pick<FlowDocument, "nodes" | "edges" | "groups">, openId: string | undefined, sizes: Sizes = {}): GroupView {
  const groups = doc.groups ?? [];
  const byId = new Map(groups.map((g) => [g.id, g]));
  const open = openId !== undefined ? byId.get(openId) : undefined;
  if (groups.length === 0) return { path: [], nodes: doc.nodes, edges: doc.edges, boxes: [], frames: [], boxEdges: [] };

  /** groups from `id` up to (not including) the level shown, outermost first; null: outside the level */
  const chainCache = new Map<string, string[] | null>();
  const chainOf = (groupId: string | undefined): string[] | null => {
    if (groupId === undefined) return open ? null : [];
    if (open && groupId === open.id) return [];
    const cached = chainCache.get(groupId);
    if (cached !== undefined) return cached;
    chainCache.set(groupId, null); // a cycle (refused by validation) ends here
    const g = byId.get(groupId);
    const up = g ? chainOf(g.parent) : null;
    const chain = up && g ? [...up, g.id] : null;
    chainCache.set(groupId, chain);
    return chain;
  };
  /** the outermost collapsed group of a chain: what stands for everything inside it */
  const collapsedIn = (chain: string[]) => chain.find((id) => byId.get(id)!.collapsed);

  const nodeGroup = new Map<string, string>();
  for (const g of groups) for (const id of g.nodes) nodeGroup.set(id, g.id);
  /** what a node is drawn as: itself, a box (its rf id), or nothing (outside the level) */
  const rep = new Map<string, string | null>();
  const nodes: FlowNode[] = [];
  const members = new Map<string, FlowNode[]>(); // every node inside each group, nested ones too
  for (const n of doc.nodes) {
    const chain = chainOf(nodeGroup.get(n.id));
    if (!chain) {
      rep.set(n.id, null);
      continue;
    }
    for (const id of chain) (members.get(id) ?? members.set(id, []).get(id)!).push(n);
    const box = collapsedIn(chain);
    rep.set(n.id, box !== undefined ? groupRfId(box) : n.id);
    if (box === undefined) nodes.push(n);
  }

  const boxes = new Map<string, GroupBox>();
  const frames: GroupFrame[] = [];
  const childBoxes = new Map<string, GroupBox[]>(); // boxes drawn inside each expanded group
  for (const g of groups) {
    const chain = chainOf(g.id);
    if (!chain || chain.length === 0) continue;
    const box = collapsedIn(chain);
    const inside = members.get(g.id) ?? [];
    if (box === g.id) {
      const b: GroupBox = { group: g, position: g.position ?? topLeft(inside), inputs: [], outputs: [], nodeCount: inside.length };
      boxes.set(g.id, b);
      for (const outer of chain.slice(0, -1)) (childBoxes.get(outer) ?? childBoxes.set(outer, []).get(outer)!).push(b);
    }
  }
  // innermost first: a frame is drawn around the frames nested in it
  const expanded = groups
    .map((g) => ({ g, chain: chainOf(g.id) }))
    .filter((x): x is { g: FlowGroup; chain: string[] } => !!x.chain && x.chain.length > 0 && collapsedIn(x.chain) === undefined)
    .sort((a, b) => b.chain.length - a.chain.length);
  const frameOf = new Map<string, GroupFrame>();
  for (const { g, chain } of expanded) {
    const drawn = (members.get(g.id) ?? []).filter((n) => rep.get(n.id) === n.id);
    const inner = expanded.filter((x) => x.g.parent === g.id).map((x) => frameOf.get(x.g.id)).filter((f): f is GroupFrame => !!f);
    const bounds = boundsOf(drawn, childBoxes.get(g.id) ?? [], inner, sizes);
    if (!bounds) continue; // nothing inside to draw a frame around
    const frame = {
      group: g,
      position: { x: bounds.x - FRAME_PAD, y: bounds.y - FRAME_PAD - FRAME_HEAD },
      width: bounds.width + 2 * FRAME_PAD,
      height: bounds.height + 2 * FRAME_PAD + FRAME_HEAD,
      depth: chain.length,
    };
    frameOf.set(g.id, frame);
    frames.push(frame);
  }
  frames.sort((a, b) => a.depth - b.depth);

  const edges: FlowEdge[] = [];
  const boxEdges: BoxEdge[] = [];
  const title = new Map(doc.nodes.map((n) => [n.id, n.name || n.id]));
  for (const e of doc.edges) {
    const from = rep.get(e.from.node);
    const to = rep.get(e.to.node);
    if (!from || !to || from === to) continue; // outside the level, or inside one box
    if (from === e.from.node && to === e.to.node) {
      edges.push(e);
      continue;
    }
    const fromBox = from !== e.from.node ? boxes.get(groupIdOf(from)!) : undefined;
    const toBox = to !== e.to.node ? boxes.get(groupIdOf(to)!) : undefined;
    const sourceHandle = fromBox ? addPort(fromBox.outputs, `out:${e.from.node}.${e.from.port}`, `${title.get(e.from.node)} · ${e.from.port}`) : e.from.port;
    const targetHandle = toBox ? addPort(toBox.inputs, `in:${e.to.node}`, title.get(e.to.node)!) : "in";
    boxEdges.push({ edge: e, source: from, sourceHandle, target: to, targetHandle });
  }

  const path: FlowGroup[] = [];
  for (let g = open; g && !path.includes(g); g = g.parent !== undefined ? byId.get(g.parent) : undefined) path.unshift(g);
  return { ...(open ? { open } : {}), path, nodes, edges, boxes: [...boxes.values()], frames, boxEdges };
}

function addPort(ports: BoxPort[], handle: string, label: string): string {
  if (!ports.some((p) => p.handle === handle)) ports.push({ handle, label });
  return handle;
}

function topLeft(nodes: readonly FlowNode[]): Position {
  if (nodes.length === 0) return { x: 0, y: 0 };
  let x = Infinity, y = Infinity;
  for (const n of nodes) {
    x = Math.min(x, n.position.x);
    y = Math.min(y, n.position.y);
  }
  return { x, y };
}

const BOX_SIZE = { width: 260, height: 110 };

function boundsOf(nodes: readonly FlowNode[], boxes: readonly GroupBox[], frames: readonly GroupFrame[], sizes: Sizes) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const take = (p: Position, s: { width: number; height: number }) => {
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x + s.width);
    y1 = Math.max(y1, p.y + s.height);
  };
  for (const n of nodes) take(n.position, sizes[n.id] ?? NODE_SIZE);
  for (const b of boxes) take(b.position, sizes[groupRfId(b.group.id)] ?? BOX_SIZE);
  for (const f of frames) take(f.position, f);
  return x0 === Infinity ? null : { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** The groups whose boxes or frames are selected, from React Flow ids. */
export function selectedGroupIds(rfIds: Iterable<string>): string[] {
  const out: string[] = [];
  for (const id of rfIds) {
    const g = groupIdOf(id);
    if (g !== undefined) out.push(g);
  }
  return out;
}
