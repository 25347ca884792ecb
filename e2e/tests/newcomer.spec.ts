/**
 * What a newcomer trips over in the first hour, each driven as a person does it: drop nodes,
 * wire them, import, run and stop a flow, start a new one.
 */
import type { Page } from "@playwright/test";
import { expect, test } from "../fixtures.js";
import {
  connect,
  deploy,
  dragFromPalette,
  edgeIdOf,
  edges,
  figure,
  getFlowViaApi,
  listFlowsViaApi,
  node,
  nodes,
  openFlow,
  save,
  saveFlowViaApi,
  selectNode,
  shot,
  stop,
  stopViaApi,
  typeInto,
  unique,
  type FlowDoc,
} from "../helpers/designer.js";

const flowIdOnScreen = (page: Page) => page.getByTestId("flow-panel").locator("dd code").first();
/** A click on the empty canvas: the right panel shows the flow again. */
const clearSelection = (page: Page) => page.getByTestId("canvas").locator(".react-flow__pane").click({ position: { x: 60, y: 600 } });

async function centreOf(page: Page, testId: string) {
  const box = (await page.getByTestId(testId).boundingBox())!;
  return { x: box.x + box.width / 2, y: box.y + box.height / 2, box };
}

/** A mouse drag the way a hand does it: press, move in steps, let go. */
async function drag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 8 });
  await page.mouse.move(to.x, to.y, { steps: 8 });
  await page.mouse.up();
}

test("a dropped node starts from defaults a person keeps: the example shows as placeholders and in Docs, never as settings", async ({ page, engineUrl }) => {
  const run = unique("drop");
  await page.goto("/");
  await typeInto(page.getByTestId("flow-name"), `Drop ${run}`);
  await dragFromPalette(page, "generate", { x: 120, y: 120 });
  await dragFromPalette(page, "kafka-sink", { x: 460, y: 320 });

  await selectNode(page, "kafka-sink-1");
  await expect(page.getByTestId("field-topic")).toHaveValue("");
  await expect(page.getByTestId("field-topic")).toHaveAttribute("placeholder", "orders-enriched");
  await expect(page.getByTestId("field-keyExpression")).toHaveValue("");
  await expect(page.getByTestId("field-error-topic")).toBeVisible();
  await shot(page, "newcomer-1-sink-placeholders");

  await selectNode(page, "generate-1");
  await expect(page.getByTestId("field-ratePerSec")).toHaveValue("");
  await expect(page.getByTestId("field-ratePerSec")).toHaveAttribute("placeholder", "1000 (default)");
  await expect(page.getByTestId("field-count")).toHaveAttribute("placeholder", "10 (default)");
  await page.getByTestId("tab-docs").click();
  await expect(page.getByTestId("node-docs")).toContainText("default 1000 a second");
  await expect(page.getByTestId("node-example")).toContainText('"ratePerSec": 100');
  await shot(page, "newcomer-2-generate-docs");

  // what is stored is what the user set: nothing yet
  await save(page, 1);
  await clearSelection(page);
  const id = (await flowIdOnScreen(page).textContent())!;
  const stored = await getFlowViaApi(engineUrl, id);
  expect(stored.document.nodes.map((n) => n.config)).toEqual([{}, {}]);
});

test("the queue threshold field shows the engine's default, 1,000,000", async ({ page, engineUrl }) => {
  const run = unique("queue");
  const doc = twoNodes(run, { count: 10, ratePerSec: 0, template: "{}" });
  await saveFlowViaApi(engineUrl, doc);
  await openFlow(page, doc);
  await page.getByTestId(`edge-label-${edgeIdOf("gen", "success", "out")}`).click();
  const field = page.getByTestId("edge-queue-threshold");
  await expect(field).toHaveValue("");
  await expect(field).toHaveAttribute("placeholder", "1,000,000 (engine default)");
  await expect(page.getByTestId("edge-queue-threshold-help")).toContainText("the engine's default, 1,000,000");
  await shot(page, "newcomer-3-queue-threshold");
});

test("wiring: the open panel's 'Not connected' goes at once; a drop anywhere on the target node connects; a drag from a port's label connects, not moves", async ({ page }) => {
  await page.goto("/");
  await dragFromPalette(page, "generate", { x: 110, y: 110 });
  await dragFromPalette(page, "log", { x: 520, y: 140 });
  await dragFromPalette(page, "filter", { x: 520, y: 380 });

  await selectNode(page, "log-1");
  await expect(page.getByTestId("config-form")).toContainText("Not connected");

  // from the port's dot onto the middle of the log node's body, far from its input dot
  const from = await centreOf(page, "port-generate-1-success");
  const log = (await node(page, "log-1").boundingBox())!;
  const target = { x: log.x + log.width * 0.75, y: log.y + log.height - 8 };
  expect(Math.hypot(target.x - log.x, target.y - (log.y + 22))).toBeGreaterThan(60);
  await drag(page, { x: from.box.x + from.box.width - 4, y: from.y }, target);
  await expect(edges(page)).toHaveCount(1);
  await expect(page.getByTestId(`edge-label-${edgeIdOf("generate-1", "success", "log-1")}`)).toBeVisible();
  // the log node is still the one in the panel: its warning went without selecting anything else
  await expect(page.getByTestId("node-panel")).toContainText("log-1");
  await expect(page.getByTestId("config-form")).not.toContainText("Not connected");
  await shot(page, "newcomer-4-dropped-on-body");

  // a drag that starts on the label "failure" of the filter's port: a connection, the node stays put
  await connect(page, { node: "generate-1" }, "filter-1");
  await expect(edges(page)).toHaveCount(2);
  const filterBefore = (await node(page, "filter-1").boundingBox())!;
  const label = page.getByTestId("port-filter-1-failure").locator(".mr-port-label");
  await expect(label).toHaveText("failure");
  const l = (await label.boundingBox())!;
  const logNow = (await node(page, "log-1").boundingBox())!;
  await drag(page, { x: l.x + l.width / 2, y: l.y + l.height / 2 }, { x: logNow.x + logNow.width / 2, y: logNow.y + logNow.height / 2 });
  await expect(edges(page)).toHaveCount(3);
  await expect(page.getByTestId(`edge-label-${edgeIdOf("filter-1", "failure", "log-1")}`)).toBeVisible();
  const filterAfter = (await node(page, "filter-1").boundingBox())!;
  expect({ x: filterAfter.x, y: filterAfter.y }).toEqual({ x: filterBefore.x, y: filterBefore.y });
  await shot(page, "newcomer-5-label-drag-connects");
});

test("import: the dialog says what happens to an existing id and does that; a copy is named and shown as one with a short id; a failed import takes the earlier toast away", async ({ page, engineUrl }) => {
  const run = unique("imp");
  // a long name: in the list it is shortened, and a copy must still read as a copy
  const doc = twoNodes(run, { count: 10, ratePerSec: 0, template: "{}" }, `Orders pipeline for the northern warehouses ${run}`);
  await saveFlowViaApi(engineUrl, doc);
  await openFlow(page, doc);

  const dialog = page.getByTestId("import-dialog");
  const importText = async (text: string, asCopy = false) => {
    await page.getByTestId("import-button").click();
    await dialog.getByTestId("import-text").fill(text);
    if (asCopy) await dialog.getByTestId("import-as-copy").check();
  };

  // the same id, not as a copy: the next version of that flow, said before confirming
  await importText(JSON.stringify({ ...doc, description: "changed in the file" }));
  const outcome = dialog.getByTestId("import-outcome");
  await expect(outcome).toHaveAttribute("data-outcome", "new-version");
  await expect(outcome).toContainText(`A flow with the id ${doc.id} exists`);
  await expect(outcome).toContainText("as its version 2");
  await expect(dialog.getByTestId("import-submit")).toHaveText("Import as version 2");
  await shot(page, "newcomer-6-import-replaces");
  await dialog.getByTestId("import-submit").click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId("toast-success")).toContainText("Imported as version 2");
  await expect(page.getByTestId("flow-version")).toHaveText("v2");
  expect((await listFlowsViaApi(engineUrl)).filter((f) => f.id === doc.id)).toEqual([expect.objectContaining({ latestVersion: 2 })]);

  // as a copy: said so, a new short id, "(copy)" in the name and in view in the list
  await importText(JSON.stringify(doc), true);
  await expect(outcome).toHaveAttribute("data-outcome", "copy");
  await expect(outcome).toContainText(`the flow ${doc.id} stays as it is`);
  await dialog.getByTestId("import-submit").click();
  await expect(dialog).toHaveCount(0);
  await expect(flowIdOnScreen(page)).not.toHaveText(doc.id);
  const copyId = (await flowIdOnScreen(page).textContent())!;
  expect(copyId).toMatch(/^flow-[0-9a-z]{13}$/);
  expect((await getFlowViaApi(engineUrl, copyId)).document.name).toBe(`${doc.name} (copy)`);
  await expect(page.getByTestId("toast-success")).toContainText("Imported as a copy");
  const copyMark = page.getByTestId(`flow-item-copy-${copyId}`);
  await expect(copyMark).toBeVisible();
  await expect(copyMark).toHaveText("(copy)");
  // the mark is inside the list item's box, not cut off
  const item = (await page.getByTestId(`flow-item-${copyId}`).boundingBox())!;
  const mark = (await copyMark.boundingBox())!;
  expect(mark.x + mark.width).toBeLessThanOrEqual(item.x + item.width);
  await shot(page, "newcomer-7-copy-in-list");

  // a failed import right after: its errors stand alone, the "Imported" toast is gone
  await expect(page.getByTestId("toast-success")).toBeVisible();
  await importText('{ "schemaVersion": 1, "id": ');
  await dialog.getByTestId("import-submit").click();
  await expect(dialog.getByTestId("import-errors")).toBeVisible();
  await expect(page.getByTestId("toast-success")).toHaveCount(0);
  await shot(page, "newcomer-8-failed-import");
});

test("edge labels read in words above close nodes; a stopped flow's nodes keep the last run's totals, after a reload too; the toolbar's Overview is not the Map processor", async ({ page, engineUrl }) => {
  const run = unique("run");
  // the nodes 30 px apart: the label sits where they almost touch
  const doc = twoNodes(run, { count: 150, ratePerSec: 30, template: '{ "id": $i }' }, `Close ${run}`, 240);
  await saveFlowViaApi(engineUrl, doc);
  try {
    await openFlow(page, doc);
    await expect(page.getByTestId("minimap-toggle")).toHaveText("Overview");
    await expect(page.getByTestId("canvas-toolbar")).not.toContainText("Map");
    await deploy(page);

    const edgeId = edgeIdOf("gen", "success", "out");
    const figures = page.getByTestId(`edge-figures-${edgeId}`);
    await expect(figures).toHaveText(/^[\d.]+ rec\/s · queue \d+ of 1M$/, { timeout: 20_000 });
    await expect(figures).toHaveAttribute("title", /records a second over the last second\n\d+ records? waiting on the edge's topic; its sources pause at 1,000,000 \(the queue threshold\)/);
    // the label is on top where it is drawn: what is under its centre is the label
    const label = page.getByTestId(`edge-label-${edgeId}`);
    const c = await label.boundingBox();
    const onTop = await page.evaluate(({ x, y, id }) => document.elementFromPoint(x, y)?.closest(`[data-testid="edge-label-${id}"]`) !== null, { x: c!.x + c!.width / 2, y: c!.y + c!.height / 2, id: edgeId });
    expect(onTop).toBe(true);
    await shot(page, "newcomer-9-edge-label-running");

    const genStats = page.getByTestId("node-stats-gen");
    await expect.poll(() => figure(genStats, "out"), { timeout: 30_000 }).toBe(150);
    await expect.poll(() => figure(page.getByTestId("node-stats-out"), "in"), { timeout: 30_000 }).toBe(150);
    await stop(page);

    // stopped: the totals stay, marked as the last run; nothing claims to be live
    await expect(page.getByTestId("node-last-run-gen")).toBeVisible();
    await expect(genStats).toHaveAttribute("data-last-run", "true");
    expect(await figure(genStats, "out")).toBe(150);
    expect(await figure(page.getByTestId("node-stats-out"), "in")).toBe(150);
    await expect(page.getByTestId("node-rate-out-gen")).toHaveCount(0);
    await expect(page.getByTestId(`edge-stats-${edgeId}`)).toHaveCount(0);
    await selectNode(page, "out");
    await expect(page.getByTestId("node-panel-stats")).toContainText("last run");
    await expect(page.getByTestId("node-panel-stats")).toContainText("in 150");
    await shot(page, "newcomer-10-last-run");

    // and after a reload (the page kept nothing): the engine's totals of the last deployment
    await page.reload();
    await expect(page.getByTestId("node-last-run-gen")).toBeVisible({ timeout: 15_000 });
    await expect(page.getByTestId("node-stats-gen")).toHaveAttribute("data-last-run", "true");
    expect(await figure(page.getByTestId("node-stats-gen"), "out")).toBe(150);
    expect(await figure(page.getByTestId("node-stats-out"), "in")).toBe(150);
    await shot(page, "newcomer-11-last-run-after-reload");
  } finally {
    await stopViaApi(engineUrl, doc.id);
  }
});

test("+ New is a draft until saved: abandoned new flows do not pile up as empty 'Untitled flow' v1s", async ({ page, engineUrl }) => {
  const run = unique("new");
  await page.goto("/");
  const before = (await listFlowsViaApi(engineUrl)).length;
  await page.getByTestId("new-flow-button").click();
  await expect(page.getByTestId("flow-item-draft")).toBeVisible();
  await expect(page.getByTestId("dirty-mark")).toHaveText("● Draft, not saved");
  // another + New on an untouched draft: nothing to ask, nothing stored
  await page.getByTestId("new-flow-button").click();
  await expect(page.getByTestId("flow-item-draft")).toHaveCount(1);
  await page.waitForTimeout(500);
  expect((await listFlowsViaApi(engineUrl)).length).toBe(before);
  expect((await listFlowsViaApi(engineUrl)).some((f) => f.name === "Untitled flow")).toBe(false);
  await shot(page, "newcomer-11-new-draft");

  // kept once the user saves it
  await typeInto(page.getByTestId("flow-name"), `Kept ${run}`);
  await page.getByTestId("flow-name").press("Enter");
  await dragFromPalette(page, "generate", { x: 140, y: 140 });
  await expect(nodes(page)).toHaveCount(1);
  await save(page, 1);
  await clearSelection(page);
  const id = (await flowIdOnScreen(page).textContent())!;
  expect(id).toMatch(/^flow-[0-9a-z]{13}$/);
  await expect(page.getByTestId(`flow-item-${id}`)).toBeVisible();
  expect((await listFlowsViaApi(engineUrl)).length).toBe(before + 1);
});

/** generate → log, the log node at `x` (a node is about 210 px wide). */
function twoNodes(run: string, genConfig: Record<string, unknown>, name = `Flow ${run}`, x = 360): FlowDoc {
  return {
    schemaVersion: 1,
    id: `e2e-${run}`,
    name,
    nodes: [
      { id: "gen", type: "generate", typeVersion: 1, config: genConfig, position: { x: 0, y: 0 } },
      { id: "out", type: "log", typeVersion: 1, config: {}, position: { x, y: 0 } },
    ],
    edges: [{ id: edgeIdOf("gen", "success", "out"), from: { node: "gen", port: "success" }, to: { node: "out" } }],
    parameters: [],
  };
}
