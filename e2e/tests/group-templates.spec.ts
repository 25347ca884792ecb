import type { Page } from "@playwright/test";
import { expect, test } from "../fixtures.js";
import { deploy, figure, getFlowViaApi, node, save, saveFlowViaApi, selectNode, shot, stop, stopViaApi, typeInto, unique } from "../helpers/designer.js";
import { genFilterLog } from "../helpers/flows.js";

const frames = (page: Page) => page.locator('[data-testid^="group-frame-"]');

async function onlyGroupId(page: Page): Promise<string> {
  await expect(frames(page)).toHaveCount(1);
  return (await frames(page).first().getAttribute("data-testid"))!.slice("group-frame-".length);
}

test("group templates: save a group with a parameter as a template, place it in another flow with a value, deploy, save a new version, update the use", async ({ page, engineUrl }) => {
  const run = unique("tpl");
  // the source flow: its filter's threshold is a parameter, which becomes the template's (a
  // reference sits in a string literal: the expression is checked before values are put in)
  const source = genFilterLog(`${run}-a`, `Template source ${run}`);
  source.nodes[1]!.config = { expression: 'value.amount > $number("#{minimum}")' };
  source.parameters = [{ name: "minimum", value: "10", sensitive: false }];
  await saveFlowViaApi(engineUrl, source);
  const target = { schemaVersion: 1 as const, id: `e2e-${run}-b`, name: `Template use ${run}`, nodes: [], edges: [], parameters: [] };
  await saveFlowViaApi(engineUrl, target);
  const templateName = `Big orders ${run}`;

  try {
    // select everything and group it
    await page.goto(`/?flow=${encodeURIComponent(source.id)}`);
    await expect(node(page, "out")).toBeVisible();
    await page.locator(".react-flow__pane").click({ position: { x: 5, y: 5 } });
    await page.keyboard.press("ControlOrMeta+a");
    await page.getByTestId("group-button").click();
    const sourceGroup = await onlyGroupId(page);
    await page.getByTestId("group-rename").fill(templateName);
    await page.getByTestId("group-rename").press("Enter");

    // save it as a template: the dialog shows the parameter it found, with its default
    await page.getByTestId("group-save-template").click();
    const saveDialog = page.getByTestId("template-save-dialog");
    await expect(saveDialog).toBeVisible();
    await expect(saveDialog.getByTestId("template-save-target")).toHaveValue("");
    await expect(saveDialog.getByTestId("template-save-name")).toHaveValue(templateName);
    await expect(saveDialog.getByTestId("template-save-param-minimum")).toContainText("default “10”");
    await saveDialog.getByTestId("template-save-description").fill("orders above a threshold, logged");
    await shot(page, "templates-1-save-dialog");
    await saveDialog.getByTestId("template-save-submit").click();
    await expect(page.getByTestId("template-saved-text")).toHaveText(`Saved “${templateName}” as version 1.`);
    await page.getByTestId("template-saved-done").click();
    const item = page.getByTestId("palette-templates").locator('[data-testid^="palette-template-tpl-"]', { hasText: templateName });
    await expect(item).toContainText("v1");
    await save(page, 2);

    // a second flow: drag the template onto its canvas and give the parameter a value
    await page.goto(`/?flow=${encodeURIComponent(target.id)}`);
    await expect(page.getByTestId("canvas-empty")).toBeVisible();
    await item.dragTo(page.getByTestId("canvas"), { targetPosition: { x: 300, y: 250 } });
    const placeDialog = page.getByTestId("template-place-dialog");
    await expect(placeDialog).toContainText(`Place “${templateName}” v1`);
    await expect(placeDialog.getByTestId("template-place-param-minimum")).toHaveAttribute("placeholder", "10 (default)");
    await placeDialog.getByTestId("template-place-param-minimum").fill("20");
    await shot(page, "templates-2-place-dialog");
    await placeDialog.getByTestId("template-place-submit").click();
    const use = await onlyGroupId(page);
    await expect(node(page, `${use}.gen`)).toBeVisible();
    await expect(node(page, `${use}.out`)).toBeVisible();
    await expect(page.getByTestId(`template-badge-${use}`)).toHaveText("template v1");
    await save(page, 2);
    const placed = (await getFlowViaApi(engineUrl, target.id)).document as unknown as { nodes: { id: string; config: unknown }[]; groups: { id: string; template: unknown }[] };
    expect(placed.nodes.find((n) => n.id === `${use}.big`)!.config).toEqual({ expression: 'value.amount > $number("20")' });
    expect(placed.groups[0]!.template).toMatchObject({ version: 1, values: { minimum: "20" } });

    // it deploys and runs like any flow: records reach the log inside the placed group
    await deploy(page);
    await expect.poll(() => figure(page.getByTestId(`node-stats-${use}.out`), "in"), { timeout: 30_000 }).toBeGreaterThan(0);
    await shot(page, "templates-3-placed-and-deployed");
    await stop(page);

    // back in the source flow: change the filter and save the group as the template's next version
    await page.goto(`/?flow=${encodeURIComponent(source.id)}`);
    await expect(node(page, "big")).toBeVisible();
    await selectNode(page, "big");
    await typeInto(page.getByTestId("field-expression"), 'value.amount >= $number("#{minimum}")');
    // a click on the palette item places v1 here too (its default value kept), beside what is drawn
    await item.click();
    await expect(page.getByTestId("template-place-dialog")).toContainText(`Place “${templateName}” v1`);
    await page.getByTestId("template-place-submit").click();
    await expect(frames(page)).toHaveCount(2);
    const localUse = (await frames(page).evaluateAll((els) => els.map((e) => e.getAttribute("data-testid")!.slice("group-frame-".length)))).find((id) => id !== sourceGroup)!;
    await expect(page.getByTestId(`template-badge-${localUse}`)).toHaveText("template v1");
    await page.getByTestId(`group-frame-${sourceGroup}`).getByTestId(`group-name-${sourceGroup}`).click();
    await page.getByTestId("group-save-template").click();
    await expect(saveDialog.getByTestId("template-save-target")).not.toHaveValue("");
    await expect(saveDialog.getByTestId("template-save-submit")).toHaveText("Save v2");
    await saveDialog.getByTestId("template-save-submit").click();
    await expect(page.getByTestId("template-saved-text")).toHaveText(`Saved “${templateName}” as version 2.`);
    await expect(page.getByTestId("template-saved-elsewhere")).toContainText(`Template use ${run}`);
    // saving offers to update this flow's own use at once
    await expect(page.getByTestId("template-update-uses")).toHaveText("Update 1 use in this flow");
    await shot(page, "templates-4-new-version-saved");
    await page.getByTestId("template-update-uses").click();
    await expect(page.getByTestId(`template-badge-${localUse}`)).toHaveText("template v2");
    await expect(item).toContainText("v2");
    await save(page, 3);
    const local = (await getFlowViaApi(engineUrl, source.id)).document as unknown as { nodes: { id: string; config: unknown }[] };
    expect(local.nodes.find((n) => n.id === `${localUse}.big`)!.config).toEqual({ expression: 'value.amount >= $number("10")' });

    // the use shows that a newer version exists, and updates to it keeping its value and its node ids
    await page.goto(`/?flow=${encodeURIComponent(target.id)}`);
    const badge = page.getByTestId(`template-badge-${use}`);
    await expect(badge).toContainText("template v2 available");
    await shot(page, "templates-5-update-available");
    await page.getByTestId(`template-update-${use}`).click();
    await expect(badge).toHaveText("template v2");
    await expect(node(page, `${use}.big`)).toBeVisible();
    await shot(page, "templates-6-updated");
    await save(page, 3);
    const updated = (await getFlowViaApi(engineUrl, target.id)).document as unknown as { nodes: { id: string; config: unknown }[]; groups: { id: string; template: unknown }[] };
    expect(updated.nodes.find((n) => n.id === `${use}.big`)!.config).toEqual({ expression: 'value.amount >= $number("20")' });
    expect(updated.groups[0]!.template).toMatchObject({ version: 2, values: { minimum: "20" } });
  } finally {
    await stopViaApi(engineUrl, target.id);
  }
});
