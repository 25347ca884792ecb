import type { Page } from "@playwright/test";
import { expect, test } from "../fixtures.js";
import { getFlowViaApi, nodes, save, shot, unique } from "../helpers/designer.js";

/** layers × rows: kafka-source → filter/map … → kafka-sink, a straight edge per row and layer and a diagonal one every 4th row (as bench B4). */
function bigFlow(id: string, layers: number, rows: number) {
  const flowNodes = [];
  const flowEdges = [];
  const nid = (c: number, r: number) => `n${c}_${r}`;
  for (let c = 0; c < layers; c++) {
    for (let r = 0; r < rows; r++) {
      const type = c === 0 ? "kafka-source" : c === layers - 1 ? "kafka-sink" : c % 2 ? "filter" : "map";
      const config =
        type === "kafka-source" ? { topic: `big-in-${r}` } : type === "kafka-sink" ? { topic: `big-out-${r}` } : type === "filter" ? { expression: `value.n > ${r}` } : { expression: `{ "n": value.n + ${c} }` };
      flowNodes.push({ id: nid(c, r), type, typeVersion: 1, config, position: { x: c * 260, y: r * 130 } });
      if (c > 0) {
        flowEdges.push({ id: `e${c}_${r}`, from: { node: nid(c - 1, r), port: "success" }, to: { node: nid(c, r) } });
        if (r % 4 === 0) flowEdges.push({ id: `x${c}_${r}`, from: { node: nid(c - 1, r), port: "success" }, to: { node: nid(c, (r + 1) % rows) } });
      }
    }
  }
  return { schemaVersion: 1, id, name: `Big ${id}`, nodes: flowNodes, edges: flowEdges, parameters: [] };
}

/** Where a node's box is on the screen: its position through the canvas's transform (the overview draws no element per node). */
async function boxOnScreen(page: Page, position: { x: number; y: number }, at = { x: 105, y: 22 }) {
  return page.evaluate(({ position, at }) => {
    const pane = document.querySelector(".react-flow")!.getBoundingClientRect();
    const m = /translate\(([-\d.]+)px,\s*([-\d.]+)px\)\s*scale\(([\d.]+)\)/.exec((document.querySelector(".react-flow__viewport") as HTMLElement).style.transform)!;
    const [tx, ty, z] = [Number(m[1]), Number(m[2]), Number(m[3])];
    return { x: pane.left + tx + (position.x + at.x) * z, y: pane.top + ty + (position.y + at.y) * z, zoom: z };
  }, { position, at });
}

test("a 2,000-node flow far out: drawn whole, a box is selected, dragged (edges follow, one undo step) and opened", async ({ page, engineUrl }) => {
  test.setTimeout(240_000);
  const doc = bigFlow(unique("big"), 20, 100);
  expect(doc.nodes).toHaveLength(2000);

  // import it through the dialog, as a person does
  await page.goto("/");
  await page.getByTestId("import-button").click();
  const dialog = page.getByTestId("import-dialog");
  await dialog.getByTestId("import-file").setInputFiles({ name: "big.flow.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(doc)) });
  await dialog.getByTestId("import-submit").click();
  await expect(dialog).toHaveCount(0);

  // fitted far out: the overview draws every node and edge, React Flow renders none of them
  const canvas = page.getByTestId("canvas");
  const overview = page.getByTestId("overview");
  await expect(canvas).toHaveAttribute("data-detail", "low");
  await expect(overview).toHaveAttribute("data-drawn-nodes", "2000", { timeout: 30_000 });
  await expect(overview).toHaveAttribute("data-inside-nodes", "2000");
  await expect(overview).toHaveAttribute("data-drawn-edges", String(doc.edges.length));
  await expect(nodes(page)).toHaveCount(0);
  await shot(page, "large-flow-1-fitted");

  // a click on a box selects it and opens its panel
  const target = doc.nodes.find((n) => n.id === "n10_50")!;
  const at = await boxOnScreen(page, target.position);
  expect(at.zoom).toBeLessThan(0.45);
  await page.mouse.click(at.x, at.y);
  await expect(page.getByTestId("node-panel")).toContainText("n10_50");
  await expect(page.getByTestId("field-expression")).toHaveValue('{ "n": value.n + 10 }');
  await shot(page, "large-flow-2-selected");

  // drag it: the moving layer draws it (and its edges) where the pointer is
  const moving = page.getByTestId("overview-moving");
  await page.mouse.move(at.x, at.y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(at.x + 6 * i, at.y + 4 * i);
  await expect(moving).toHaveAttribute("data-drag-node", "n10_50");
  await shot(page, "large-flow-3-dragging");
  await page.mouse.up();
  await expect(moving).not.toHaveAttribute("data-drag-node", /./);
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "true");

  // the new position is the document's: saved, it is what the engine stores (snapped to the 20 px grid)
  await save(page, 2);
  const moved = (await getFlowViaApi(engineUrl, doc.id)).document.nodes.find((n) => n.id === "n10_50")!;
  const dx = moved.position.x - target.position.x;
  const dy = moved.position.y - target.position.y;
  expect(Math.abs(dx - 60 / at.zoom)).toBeLessThanOrEqual(20);
  expect(Math.abs(dy - 40 / at.zoom)).toBeLessThanOrEqual(20);
  // the box is where the document says: a click there finds it
  const area = (await canvas.boundingBox())!;
  await page.mouse.click(area.x + 20, area.y + area.height / 2); // the empty canvas left of the flow: nothing selected
  await expect(page.getByTestId("node-panel")).toHaveCount(0);
  const now = await boxOnScreen(page, moved.position);
  await page.mouse.click(now.x, now.y);
  await expect(page.getByTestId("node-panel")).toContainText("n10_50");
  await shot(page, "large-flow-4-dropped");

  // one undo step puts it back
  await page.keyboard.press("ControlOrMeta+z");
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "true");
  await save(page, 3);
  const back = (await getFlowViaApi(engineUrl, doc.id)).document.nodes.find((n) => n.id === "n10_50")!;
  expect(back.position).toEqual(target.position);

  // a drag the browser cancels (pointercancel: a touch taken over, the window losing the pointer) moves nothing
  const still = await boxOnScreen(page, back.position);
  await page.mouse.move(still.x, still.y);
  await page.mouse.down();
  for (let i = 1; i <= 5; i++) await page.mouse.move(still.x + 8 * i, still.y + 5 * i);
  await expect(moving).toHaveAttribute("data-drag-node", "n10_50");
  await page.evaluate(() => window.dispatchEvent(new PointerEvent("pointercancel", { bubbles: true, isPrimary: true })));
  await page.mouse.up();
  await expect(moving).not.toHaveAttribute("data-drag-node", /./);
  await expect(page.getByTestId("dirty-mark")).not.toHaveAttribute("data-dirty", "true");

  // Shift+drag draws a selection box: the boxes wholly inside it are selected; Delete removes them, Ctrl+Z brings them back
  const pos = (id: string) => doc.nodes.find((n) => n.id === id)!.position;
  const from = await boxOnScreen(page, pos("n0_10"), { x: -100, y: -60 });
  const to = await boxOnScreen(page, pos("n1_12"), { x: 250, y: 80 });
  await page.keyboard.down("Shift");
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2);
  await page.mouse.move(to.x, to.y);
  await expect(page.getByTestId("overview-selection")).toBeVisible();
  await shot(page, "large-flow-4b-box-select");
  await page.mouse.up();
  await page.keyboard.up("Shift");
  await expect(page.getByTestId("overview-selection")).toBeHidden();
  await page.keyboard.press("Delete");
  await expect(overview).toHaveAttribute("data-drawn-nodes", "1994");
  await page.keyboard.press("ControlOrMeta+z");
  await expect(overview).toHaveAttribute("data-drawn-nodes", "2000");

  // a double-click on a box zooms in on it: React Flow's full nodes, with their ports, take over
  const again = await boxOnScreen(page, back.position);
  await page.mouse.dblclick(again.x, again.y);
  await expect(canvas).toHaveAttribute("data-detail", "full");
  await expect(overview).toHaveCount(0);
  await expect(page.getByTestId("node-n10_50")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("port-n10_50-in")).toBeVisible();
  await expect(page.getByTestId("port-n10_50-success")).toBeVisible();
  await expect(page.getByTestId("node-title-n10_50")).toBeVisible();
  // only the nodes in view are rendered (and measured), not the 2,000
  expect(await nodes(page).count()).toBeLessThan(100);
  await shot(page, "large-flow-5-zoomed-in");
});
