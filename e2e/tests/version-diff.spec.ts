import { expect, test } from "../fixtures.js";
import { connect, dragFromPalette, edgeIdOf, node, openFlow, save, saveFlowViaApi, selectNode, shot, typeInto, unique } from "../helpers/designer.js";
import { genFilterLog } from "../helpers/flows.js";

test("compare two versions on the canvas: added green, changed amber with its fields old → new, removed as red ghosts; then the editor against a version", async ({ page, engineUrl }) => {
  const doc = genFilterLog(unique("diff"));
  await saveFlowViaApi(engineUrl, doc); // v1: gen → big (amount > 10) → out
  await openFlow(page, doc);

  // v2, edited as a person would: a stricter filter, the log node deleted, a map added and wired in
  await selectNode(page, "big");
  await typeInto(page.getByTestId("field-expression"), "value.amount > 50");
  await selectNode(page, "out");
  await page.keyboard.press("Delete");
  await expect(node(page, "out")).toHaveCount(0);
  await dragFromPalette(page, "map", { x: 600, y: 430 });
  await expect(node(page, "map-1")).toBeVisible();
  await selectNode(page, "map-1");
  await typeInto(page.getByTestId("field-expression"), "value.amount");
  await connect(page, { node: "big" }, "map-1");
  await save(page, 2);

  // v3: the generator's count changed too
  await selectNode(page, "gen");
  await typeInto(page.getByTestId("field-count"), "25");
  await save(page, 3);

  // History: compare v1 with v3
  await page.getByTestId("flow-version").click();
  const picker = page.getByTestId("compare-picker");
  await picker.getByTestId("compare-from").selectOption("1");
  await picker.getByTestId("compare-to").selectOption("3");
  await picker.getByTestId("compare-start").click();

  const bar = page.getByTestId("compare-bar");
  await expect(bar).toContainText("Comparing v1 → v3");
  await expect(page.getByTestId("compare-counts")).toContainText("nodes: 1 added · 2 changed · 1 removed");
  await expect(page.getByTestId("canvas")).toHaveAttribute("data-read-only", "true");

  // the marks on the canvas
  await expect(node(page, "map-1")).toHaveClass(/diff-added/);
  await expect(node(page, "big")).toHaveClass(/diff-changed/);
  await expect(node(page, "gen")).toHaveClass(/diff-changed/);
  await expect(node(page, "out")).toHaveClass(/diff-removed/); // a ghost at its old place
  await expect(node(page, "out")).toBeVisible();
  await expect(page.getByTestId(`node-diff-out`)).toHaveText("removed");
  await expect(page.getByTestId(`node-diff-map-1`)).toHaveText("added");
  const removedEdge = edgeIdOf("big", "success", "out");
  const addedEdge = edgeIdOf("big", "success", "map-1");
  await expect(page.getByTestId(`edge-label-${removedEdge}`)).toHaveAttribute("data-diff", "removed");
  await expect(page.getByTestId(`edge-label-${addedEdge}`)).toHaveAttribute("data-diff", "added");
  await expect(page.getByTestId(`edge-label-${edgeIdOf("gen", "success", "big")}`)).not.toHaveAttribute("data-diff", /./);
  await expect(page.locator(`.react-flow__edge-path.diff-removed`)).toHaveCount(1);

  // a changed node lists its changed fields old → new: on the canvas (click its mark) and beside it
  await page.getByTestId("node-diff-big").click();
  const tip = page.getByTestId("node-diff-tip-big");
  await expect(tip).toBeVisible();
  await expect(tip.getByTestId("field-change")).toHaveCount(1);
  await expect(tip).toContainText('config.expression "value.amount > 10" → "value.amount > 50"');
  await expect(page.getByTestId("node-diff-gen")).toHaveText("~ 1 field");
  const summary = page.getByTestId("compare-summary");
  await expect(summary.getByTestId("compare-node-gen")).toContainText("config.count 10 → 25");
  await expect(summary.getByTestId("compare-node-out")).toHaveAttribute("data-diff", "removed");
  await expect(summary.getByTestId(`compare-edge-${addedEdge}`)).toHaveAttribute("data-diff", "added");
  await shot(page, "version-diff-1-v1-to-v3");

  // zoomed far out (a big flow's overview) the marks stay, around the drawn boxes
  const canvas = page.getByTestId("canvas");
  for (let i = 0; i < 12 && (await canvas.getAttribute("data-detail")) !== "low"; i++) await page.locator(".react-flow__controls-zoomout").click();
  await expect(canvas).toHaveAttribute("data-detail", "low");
  await expect(node(page, "out")).toHaveClass(/diff-removed/);
  await expect(node(page, "map-1")).toHaveClass(/diff-added/);
  await expect(node(page, "gen")).toHaveClass(/diff-changed/);
  await shot(page, "version-diff-1b-zoomed-out");

  // the way out: the editor is back, unmarked and as it was
  await bar.getByTestId("compare-close").click();
  await expect(bar).toHaveCount(0);
  await expect(page.getByTestId("canvas")).not.toHaveAttribute("data-read-only", "true");
  await expect(node(page, "out")).toHaveCount(0);
  await expect(node(page, "big")).not.toHaveClass(/diff-/);
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "false");

  // the editor's unsaved change against v3, from the version's row; Esc leaves compare mode too
  await selectNode(page, "map-1");
  await typeInto(page.getByTestId("field-expression"), "value.id");
  await page.getByTestId("flow-version").click();
  await page.getByTestId("history-compare-3").click();
  await expect(page.getByTestId("compare-bar")).toContainText("Comparing v3 → the editor");
  await expect(node(page, "map-1")).toHaveClass(/diff-changed/);
  await expect(node(page, "big")).not.toHaveClass(/diff-/);
  await expect(page.getByTestId("compare-summary").getByTestId("compare-node-map-1")).toContainText('config.expression "value.amount" → "value.id"');
  await shot(page, "version-diff-2-editor-against-v3");
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("compare-bar")).toHaveCount(0);
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "true");
});
