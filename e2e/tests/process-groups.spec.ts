import { readFileSync } from "node:fs";
import type { Locator, Page } from "@playwright/test";
import { expect, test } from "../fixtures.js";
import { deploy, dragFromPalette, edges, figure, getFlowViaApi, node, save, saveFlowViaApi, shot, stop, unique } from "../helpers/designer.js";
import { genFilterLog } from "../helpers/flows.js";

const frames = (page: Page) => page.locator('[data-testid^="group-frame-"]');
const boxes = (page: Page) => page.locator('[data-testid^="group-box-"]');

/** Shift + drag a rectangle around the given elements, as a person box-selects. */
async function boxSelect(page: Page, around: Locator[]) {
  const rects = await Promise.all(around.map(async (l) => (await l.boundingBox())!));
  const x0 = Math.min(...rects.map((r) => r.x)) - 20;
  const y0 = Math.min(...rects.map((r) => r.y)) - 20;
  const x1 = Math.max(...rects.map((r) => r.x + r.width)) + 20;
  const y1 = Math.max(...rects.map((r) => r.y + r.height)) + 20;
  await page.keyboard.down("Shift");
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  await page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, { steps: 6 });
  await page.mouse.move(x1, y1, { steps: 6 });
  await page.mouse.up();
  await page.keyboard.up("Shift");
}

async function groupIdOf(l: Locator, prefix: string): Promise<string> {
  return (await l.getAttribute("data-testid"))!.slice(prefix.length);
}

test("process groups: select and group, rename, colour, collapse to a box, open with breadcrumbs, nest, undo, export/import, deploy, ungroup", async ({ page, engineUrl }) => {
  const doc = genFilterLog(unique("groups"));
  await saveFlowViaApi(engineUrl, doc);
  await page.goto(`/?flow=${encodeURIComponent(doc.id)}`);
  await expect(node(page, "out")).toBeVisible();
  await expect(edges(page)).toHaveCount(2);

  // box-select two nodes and group them with the toolbar button
  await expect(page.getByTestId("group-button")).toBeDisabled();
  await boxSelect(page, [node(page, "gen"), node(page, "big")]);
  await expect(page.getByTestId("group-button")).toBeEnabled();
  await page.getByTestId("group-button").click();
  await expect(frames(page)).toHaveCount(1);
  const outer = await groupIdOf(frames(page).first(), "group-frame-");
  await expect(page.getByTestId(`group-name-${outer}`)).toHaveText("Group 1");
  await expect(page.getByTestId("group-inspector")).toBeVisible();

  // rename and colour it
  const rename = page.getByTestId("group-rename");
  await rename.fill("Ingest");
  await rename.press("Enter");
  await expect(page.getByTestId(`group-name-${outer}`)).toHaveText("Ingest");
  await page.getByTestId("group-color-16a34a").click();
  await expect(page.getByTestId("group-color-16a34a")).toHaveAttribute("aria-checked", "true");
  await shot(page, "groups-1-frame-renamed");

  // a double-click on the frame's title opens the group; the breadcrumbs lead back
  await page.getByTestId(`group-frame-${outer}`).getByTestId(`group-name-${outer}`).dblclick();
  await expect(page.getByTestId(`crumb-${outer}`)).toHaveText("Ingest");
  await expect(node(page, "out")).toHaveCount(0);
  await page.getByTestId("crumb-flow").click();
  await expect(node(page, "out")).toBeVisible();
  await page.getByTestId(`group-name-${outer}`).click();
  await expect(page.getByTestId("group-inspector")).toBeVisible();

  // collapse: one box with the edge that leaves it as its output port; the inner edge is not drawn
  await page.getByTestId("group-toggle-collapse").click();
  const box = page.getByTestId(`group-box-${outer}`);
  await expect(box).toBeVisible();
  await expect(node(page, "gen")).toHaveCount(0);
  await expect(node(page, "big")).toHaveCount(0);
  await expect(box).toContainText("Ingest");
  await expect(box).toContainText("2 nodes");
  await expect(page.getByTestId(`group-port-${outer}-out:big.success`)).toContainText("Big ones · success");
  await expect(edges(page)).toHaveCount(1);
  await shot(page, "groups-2-collapsed-box");

  // undo and redo cover group edits
  await page.locator(".react-flow__pane").click({ position: { x: 5, y: 400 } });
  await page.keyboard.press("ControlOrMeta+z");
  await expect(frames(page)).toHaveCount(1);
  await expect(node(page, "gen")).toBeVisible();
  await page.keyboard.press("ControlOrMeta+Shift+z");
  await expect(box).toBeVisible();
  await expect(node(page, "gen")).toHaveCount(0);

  // open it (double-click): only its contents, with breadcrumbs back
  await box.dblclick();
  await expect(page.getByTestId("group-breadcrumbs")).toContainText("Flow");
  await expect(page.getByTestId(`crumb-${outer}`)).toHaveText("Ingest");
  await expect(node(page, "gen")).toBeVisible();
  await expect(node(page, "big")).toBeVisible();
  await expect(node(page, "out")).toHaveCount(0);
  await expect(edges(page)).toHaveCount(1);

  // a processor dropped while the group is open goes into it (one undo step takes it away again)
  await dragFromPalette(page, "log", { x: 330, y: 560 });
  await expect(node(page, "log-1")).toBeVisible();
  await page.locator(".react-flow__pane").click({ position: { x: 5, y: 300 } });
  await page.keyboard.press("ControlOrMeta+z");
  await expect(node(page, "log-1")).toHaveCount(0);
  await expect(node(page, "gen")).toBeVisible();

  // nest: group the filter inside, with the keyboard, and collapse the inner group
  await node(page, "big").getByTestId("node-title-big").click();
  await page.keyboard.press("ControlOrMeta+g");
  await expect(frames(page)).toHaveCount(1);
  const inner = await groupIdOf(frames(page).first(), "group-frame-");
  expect(inner).not.toBe(outer);
  await page.getByTestId("group-rename").fill("Filter step");
  await page.getByTestId("group-rename").press("Enter");
  await page.getByTestId("group-toggle-collapse").click();
  await expect(page.getByTestId(`group-box-${inner}`)).toContainText("Filter step");
  await expect(page.getByTestId(`group-port-${inner}-in:big`)).toContainText("Big ones");
  await shot(page, "groups-3-opened-with-nested-box");

  // into the nested group and back out by the breadcrumbs
  await page.getByTestId(`group-box-${inner}`).dblclick();
  await expect(page.getByTestId(`crumb-${inner}`)).toHaveText("Filter step");
  await expect(node(page, "big")).toBeVisible();
  await expect(node(page, "gen")).toHaveCount(0);
  await shot(page, "groups-4-nested-breadcrumbs");
  await page.getByTestId(`crumb-${outer}`).click();
  await expect(page.getByTestId(`group-box-${inner}`)).toBeVisible();
  await page.getByTestId("crumb-flow").click();
  await expect(page.getByTestId("group-breadcrumbs")).toHaveCount(0);
  await expect(box).toBeVisible();
  await expect(node(page, "out")).toBeVisible();

  // saved and exported with its groups
  await save(page, 2);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-button").click()]);
  const path = test.info().outputPath("groups.flow.json");
  await download.saveAs(path);
  const exported = JSON.parse(readFileSync(path, "utf8"));
  expect(Object.keys(exported)).toEqual(["schemaVersion", "id", "name", "nodes", "edges", "parameters", "groups"]);
  const byId = Object.fromEntries(exported.groups.map((g: { id: string }) => [g.id, g]));
  expect(byId[outer]).toMatchObject({ name: "Ingest", color: "#16a34a", collapsed: true, nodes: ["gen"] });
  expect(byId[inner]).toMatchObject({ name: "Filter step", parent: outer, collapsed: true, nodes: ["big"] });

  // imported as a copy, the copy opens with the same groups
  await page.getByTestId("import-button").click();
  const dialog = page.getByTestId("import-dialog");
  await dialog.getByTestId("import-file").setInputFiles(path);
  await dialog.getByTestId("import-as-copy").check();
  await dialog.getByTestId("import-submit").click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId(`group-box-${outer}`)).toContainText("Ingest");
  const copyId = (await page.getByTestId("flow-panel").locator("dd code").first().textContent())!;
  expect(copyId).not.toBe(doc.id);
  expect((await getFlowViaApi(engineUrl, copyId)).document).toMatchObject({ groups: exported.groups });
  await shot(page, "groups-5-imported-copy");

  // the grouped flow deploys and runs as the same flow without groups: records reach the log outside the box
  await page.goto(`/?flow=${encodeURIComponent(doc.id)}`);
  await expect(box).toBeVisible();
  await deploy(page);
  await expect(page.getByTestId("group-breadcrumbs")).toHaveCount(0);
  await expect.poll(() => figure(page.getByTestId("node-stats-out"), "in"), { timeout: 30_000 }).toBeGreaterThan(0);
  await shot(page, "groups-6-deployed");
  await stop(page);

  // ungroup: select the box, Ungroup; the nested group is now at the top
  await box.click();
  await expect(page.getByTestId("group-inspector")).toBeVisible();
  await page.getByTestId("group-ungroup").click();
  await expect(box).toHaveCount(0);
  await expect(node(page, "gen")).toBeVisible();
  const innerBox = page.getByTestId(`group-box-${inner}`);
  await expect(innerBox).toBeVisible();
  await innerBox.click();
  await page.keyboard.press("ControlOrMeta+Shift+g");
  await expect(boxes(page)).toHaveCount(0);
  await expect(frames(page)).toHaveCount(0);
  await expect(node(page, "big")).toBeVisible();
  await expect(edges(page)).toHaveCount(2);
  await shot(page, "groups-7-ungrouped");
  await save(page, 3);
  const last = await getFlowViaApi(engineUrl, doc.id);
  expect("groups" in last.document).toBe(false);
});
