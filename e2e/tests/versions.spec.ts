import { expect, test, trpc } from "../fixtures.js";
import { nodes, openFlow, save, saveFlowViaApi, selectNode, shot, typeInto, unique, type FlowDoc } from "../helpers/designer.js";
import { genFilterLog } from "../helpers/flows.js";

/** What a flow does, positions and names of things apart. */
function behaviour(doc: FlowDoc) {
  return {
    nodes: doc.nodes.map((n) => ({ id: n.id, type: n.type, config: n.config, settings: n.settings ?? null })).sort((a, b) => a.id.localeCompare(b.id)),
    edges: doc.edges.map((e) => `${e.from.node}.${e.from.port}->${e.to.node}`).sort(),
    parameters: doc.parameters,
  };
}

const getVersion = (engineUrl: string, id: string, version: number) =>
  trpc<{ flow: { latestVersion: number }; document: FlowDoc }>(engineUrl, "flows.get", { id, version }, "query");

test("history: view an earlier version read-only, restore it as an undoable unsaved change, save it as a new version", async ({ page, engineUrl }) => {
  const doc = genFilterLog(unique("versions"));
  await saveFlowViaApi(engineUrl, doc); // v1: amount > 10
  await openFlow(page, doc);
  await expect(page.getByTestId("flow-version")).toHaveText("v1");

  // v2 from the editor: another filter
  await selectNode(page, "big");
  await typeInto(page.getByTestId("field-expression"), "value.amount > 70");
  await save(page, 2);

  // the version mark opens the history
  await page.getByTestId("flow-version").click();
  const history = page.getByTestId("history-panel");
  await expect(history.getByTestId("history-row-2")).toContainText("latest");
  await expect(history.getByTestId("history-row-2")).toContainText("editing");
  await expect(history.getByTestId("history-row-1")).toBeVisible();
  await expect(history.locator("[data-testid^=history-row-]")).toHaveCount(2);

  // view v1: drawn read-only, with what restoring it would change; the editor is untouched
  await history.getByTestId("history-view-1").click();
  await expect(page.getByTestId("history-preview")).toContainText("Viewing v1");
  await expect(page.getByTestId("canvas")).toHaveAttribute("data-read-only", "true");
  await expect(page.getByTestId("history-diff")).toContainText("big (config)");
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "false");
  await expect(page.getByTestId("undo-button")).toBeDisabled();
  // Delete does nothing to a version being viewed
  await page.keyboard.press("Delete");
  await expect(nodes(page)).toHaveCount(3);
  await shot(page, "history-1-viewing-v1");

  // restore: v1's document in the editor, unsaved; still based on v2 (history is never rewritten)
  await page.getByTestId("history-preview-restore").click();
  await expect(page.getByTestId("history-preview")).toHaveCount(0);
  await expect(page.getByTestId("canvas")).not.toHaveAttribute("data-read-only", "true");
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "true");
  await expect(page.getByTestId("flow-version")).toHaveText("v2");

  // undoable like any edit
  await page.getByTestId("undo-button").click();
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "false");
  await page.getByTestId("redo-button").click();
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "true");
  await selectNode(page, "big");
  await expect(page.getByTestId("field-expression")).toHaveValue("value.amount > 10");

  // saving makes v3, which behaves as v1; v1 and v2 are as they were
  await save(page, 3);
  const [v1, v2, v3] = await Promise.all([1, 2, 3].map((v) => getVersion(engineUrl, doc.id, v)));
  expect(v3.flow.latestVersion).toBe(3);
  expect(behaviour(v3.document)).toEqual(behaviour(v1.document));
  expect(behaviour(v1.document)).toEqual(behaviour(doc));
  expect(v2.document.nodes.find((n) => n.id === "big")?.config).toEqual({ expression: "value.amount > 70" });

  await page.getByTestId("flow-version").click();
  await expect(history.locator("[data-testid^=history-row-]")).toHaveCount(3);
  await expect(history.getByTestId("history-row-3")).toContainText("editing");
  await shot(page, "history-2-restored-saved");
});

test("a refused save names the version that is now the latest and hides no control", async ({ page, engineUrl }) => {
  const doc = genFilterLog(unique("conflict-latest"));
  await saveFlowViaApi(engineUrl, doc);
  await openFlow(page, doc);
  await selectNode(page, "big");
  await typeInto(page.getByTestId("field-expression"), "value.amount > 70");
  // two saves elsewhere: v2, v3
  await saveFlowViaApi(engineUrl, { ...doc, description: "elsewhere" }, 1);
  await saveFlowViaApi(engineUrl, { ...doc, description: "elsewhere again" }, 2);

  await page.getByTestId("save-button").click();
  const banner = page.getByTestId("save-conflict");
  await expect(banner).toBeVisible();
  await expect(banner.getByTestId("conflict-latest")).toHaveText("version 3");
  await expect(banner.getByTestId("conflict-reload")).toContainText("v3");

  // the banner pushes the layout down: the sidebar's Flows header, the canvas toolbar and the
  // right panel all start below it
  const bottom = (await banner.boundingBox())!;
  const below = bottom.y + bottom.height - 0.5;
  for (const id of ["flows-list", "canvas-toolbar", "right-panel"]) {
    const box = (await page.getByTestId(id).boundingBox())!;
    expect(box.y, id).toBeGreaterThanOrEqual(below);
  }
  await page.getByTestId("undo-button").click(); // reachable, not covered
  await shot(page, "conflict-2-latest-named");
});

test("an imported copy's secret parameter says it is not set, and counts as a problem", async ({ page }) => {
  const run = unique("secret");
  const doc = { ...genFilterLog(run), parameters: [{ name: "apiToken", value: "", sensitive: true }] };
  await page.goto("/");
  await page.getByTestId("import-button").click();
  const dialog = page.getByTestId("import-dialog");
  await dialog.getByTestId("import-text").fill(JSON.stringify(doc));
  await dialog.getByTestId("import-as-copy").check();
  await dialog.getByTestId("import-submit").click();
  await expect(dialog).toHaveCount(0);
  await expect(nodes(page)).toHaveCount(3);

  const params = page.getByTestId("flow-parameters");
  await expect(params.getByTestId("param-value-0")).toHaveAttribute("placeholder", "not set");
  await expect(params.getByTestId("param-unset-0")).toBeVisible();
  await expect(page.getByTestId("flow-problems")).toContainText("apiToken");

  // typing a value and saving stores it: no longer flagged
  await typeInto(params.getByTestId("param-value-0"), "t0ken");
  await params.getByTestId("param-value-0").blur();
  await page.getByTestId("save-button").click();
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "false");
  await page.reload();
  await expect(nodes(page)).toHaveCount(3);
  await expect(page.getByTestId("flow-parameters").getByTestId("param-value-0")).not.toHaveAttribute("placeholder", "not set");
  await expect(page.getByTestId("flow-parameters").getByTestId("param-unset-0")).toHaveCount(0);
});
