import { describe, expect, it } from "vitest";
import type { FlowDocument, GroupTemplate } from "@millrace/flow";
import { flowActions, useFlowStore } from "../store/flowStore";
import { describeUpdate, outdatedUses, templateActions } from "./templateActions";

const template = (version: number, nodes: GroupTemplate["nodes"]): GroupTemplate => ({
  id: "tpl-1",
  version,
  name: "Big ones",
  nodes,
  edges: [],
  inputs: [{ node: "big" }],
  outputs: [],
  parameters: [{ name: "minimum", default: "5", sensitive: false }],
});
const filter = (expression: string) => ({ id: "big", type: "filter", typeVersion: 1, config: { expression }, position: { x: 0, y: 0 } });
const empty: FlowDocument = { schemaVersion: 1, id: "f", name: "F", nodes: [], edges: [], parameters: [] };

describe("template actions on the open flow", () => {
  it("place adds one undo step with the group selected; update brings a use to the new version, undone in one step", () => {
    flowActions.load(empty);
    const groupId = templateActions.place(template(1, [filter('value.n > $number("#{minimum}")')]), { x: 10, y: 20 }, { minimum: "7" });
    const placed = useFlowStore.getState().doc;
    expect(placed.nodes.map((n) => [n.id, n.config])).toEqual([[`${groupId}.big`, { expression: 'value.n > $number("7")' }]]);
    expect(outdatedUses(placed, "tpl-1", 2)).toEqual([groupId]);
    expect(outdatedUses(placed, "tpl-1", 1)).toEqual([]);

    templateActions.update([groupId], template(2, [filter('value.n >= $number("#{minimum}")')]));
    const updated = useFlowStore.getState().doc;
    expect(updated.nodes[0]!.config).toEqual({ expression: 'value.n >= $number("7")' });
    expect(updated.groups![0]!.template).toEqual({ id: "tpl-1", version: 2, values: { minimum: "7" } });
    flowActions.undo();
    expect(useFlowStore.getState().doc).toEqual(placed);
  });

  it("says what an update took away", () => {
    expect(describeUpdate([{ edge: { id: "e", from: { node: "gen", port: "success" }, to: { node: "u.big" } }, reason: 'its target "Big" is not in version 2' }], [filter("x")])).toEqual([
      'edge gen.success → u.big removed: its target "Big" is not in version 2',
      "node “big” removed: not in the new version",
    ]);
  });
});
