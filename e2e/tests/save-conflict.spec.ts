import { expect, test } from "../fixtures.js";
import { getFlowViaApi, openFlow, saveFlowViaApi, selectNode, shot, typeInto, unique } from "../helpers/designer.js";
import { genFilterLog } from "../helpers/flows.js";

test("saving over a newer version saved elsewhere shows a clear conflict and overwrites nothing", async ({ page, engineUrl }) => {
  const doc = genFilterLog(unique("conflict"));
  await saveFlowViaApi(engineUrl, doc);
  await openFlow(page, doc);
  await expect(page.getByTestId("flow-version")).toHaveText("v1");

  // my edit in this tab
  await selectNode(page, "big");
  await typeInto(page.getByTestId("field-expression"), "value.amount > 70");
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "true");

  // meanwhile, "another tab" saves v2 on top of v1
  const theirs = { ...doc, nodes: doc.nodes.map((n) => (n.id === "big" ? { ...n, config: { expression: "value.amount > 30" } } : n)) };
  expect((await saveFlowViaApi(engineUrl, theirs, 1)).version).toBe(2);

  // my save is refused with a message that says what happened
  await page.getByTestId("save-button").click();
  const conflict = page.getByTestId("save-conflict");
  await expect(conflict).toBeVisible();
  await expect(conflict).toContainText("Not saved");
  await expect(conflict).toContainText("newer version");
  await expect(conflict.getByTestId("conflict-save-copy")).toBeVisible();
  await expect(conflict.getByTestId("conflict-reload")).toBeVisible();
  await expect(page.getByTestId("flow-version")).toHaveText("v1");
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "true");
  await expect(page.getByTestId("field-expression")).toHaveValue("value.amount > 70"); // my changes are still here
  await shot(page, "conflict-1-refused");

  // nothing was overwritten: the engine still has their v2 as the latest
  const stored = await getFlowViaApi(engineUrl, doc.id);
  expect(stored.flow.latestVersion).toBe(2);
  expect(stored.document.nodes.find((n) => n.id === "big")?.config).toEqual({ expression: "value.amount > 30" });

  // Ctrl+S again does not sneak it through either
  await page.keyboard.press("ControlOrMeta+s");
  await expect(conflict).toBeVisible();
  expect((await getFlowViaApi(engineUrl, doc.id)).flow.latestVersion).toBe(2);
});
