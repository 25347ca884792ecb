import { expect, test } from "../fixtures.js";
import { edges, node, nodes, openFlow, saveFlowViaApi, selectNode, shot, typeInto, unique } from "../helpers/designer.js";
import { genFilterLog } from "../helpers/flows.js";

test("Ctrl+Z / Ctrl+Shift+Z undo and redo deleting a node (with its edges) and a config change", async ({ page, engineUrl }) => {
  const doc = genFilterLog(unique("undo"));
  await saveFlowViaApi(engineUrl, doc);
  await openFlow(page, doc);
  await expect(edges(page)).toHaveCount(2);
  await expect(page.getByTestId("undo-button")).toBeDisabled();

  // delete a node with the keyboard: its two edges go with it
  await selectNode(page, "big");
  await page.keyboard.press("Delete");
  await expect(nodes(page)).toHaveCount(2);
  await expect(edges(page)).toHaveCount(0);
  await expect(node(page, "big")).toHaveCount(0);
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "true");

  // undo brings the node and both edges back
  await page.keyboard.press("ControlOrMeta+z");
  await expect(nodes(page)).toHaveCount(3);
  await expect(edges(page)).toHaveCount(2);
  await expect(node(page, "big")).toContainText("Big ones");
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "false");

  // redo removes it again, undo restores it once more
  await page.keyboard.press("ControlOrMeta+Shift+z");
  await expect(nodes(page)).toHaveCount(2);
  await expect(edges(page)).toHaveCount(0);
  await page.keyboard.press("ControlOrMeta+z");
  await expect(nodes(page)).toHaveCount(3);
  await expect(edges(page)).toHaveCount(2);

  // a config change typed into the form is one undo step
  await selectNode(page, "big");
  const expr = page.getByTestId("field-expression");
  await expect(expr).toHaveValue("value.amount > 10");
  await typeInto(expr, "value.amount > 500 and value.id < 40");
  await expr.press("Escape"); // leave the field: the shortcut now acts on the canvas
  await expect(expr).not.toBeFocused();
  await shot(page, "undo-1-config-changed");
  await page.keyboard.press("ControlOrMeta+z");
  await expect(expr).toHaveValue("value.amount > 10");
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "false");
  await page.keyboard.press("ControlOrMeta+Shift+z");
  await expect(expr).toHaveValue("value.amount > 500 and value.id < 40");
  await expect(page.getByTestId("dirty-mark")).toHaveAttribute("data-dirty", "true");

  // inside the field, Ctrl+Z is the designer's undo too (not the browser's per-character one)
  await expr.click();
  await page.keyboard.press("ControlOrMeta+z");
  await expect(expr).toHaveValue("value.amount > 10");
  await page.keyboard.press("ControlOrMeta+Shift+z");
  await expect(expr).toHaveValue("value.amount > 500 and value.id < 40");
  await shot(page, "undo-2-redone");
});
