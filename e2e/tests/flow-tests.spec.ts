import { expect, test } from "../fixtures.js";
import { deploy, edgeIdOf, getFlowViaApi, openFlow, save, saveFlowViaApi, shot, stop, stopViaApi, unique } from "../helpers/designer.js";
import { genFilterLog } from "../helpers/flows.js";

/** The case a person writes: two orders into the generator, only the big one reaches the log. */
const bigOrders = (expectedAmount: number) =>
  JSON.stringify(
    {
      name: "only big orders are shown",
      inputs: { gen: [{ value: { id: 1, amount: 5 } }, { value: { id: 2, amount: 50 } }] },
      expect: { out: { records: [{ value: { id: 2, amount: expectedAmount } }] }, "big.success": { each: "value.amount > 10" } },
    },
    null,
    2,
  );

test("tests tab: write a case, run it and see it pass; break it and see expected vs actual; saving keeps it", async ({ page, engineUrl }) => {
  const doc = genFilterLog(unique("flowtests"));
  await saveFlowViaApi(engineUrl, doc);
  await openFlow(page, doc);

  await page.getByTestId("flow-tab-tests").click();
  const panel = page.getByTestId("tests-panel");
  await expect(panel.getByTestId("tests-empty")).toBeVisible();

  // a new case opens as JSON to edit, prefilled with the flow's first source
  await panel.getByTestId("tests-new").click();
  const editor = panel.getByTestId("test-case-json");
  await expect(editor).toContainText('"gen"');
  await editor.fill(bigOrders(50));
  await panel.getByTestId("test-case-save").click();
  const theCase = panel.locator('[data-testid=test-case][data-name="only big orders are shown"]');
  await expect(theCase).toBeVisible();
  await expect(page.getByTestId("flow-tab-tests")).toContainText("1");

  await panel.getByTestId("tests-run").click();
  await expect(theCase).toHaveAttribute("data-status", "pass");
  await expect(theCase.getByTestId("test-case-status")).toHaveText("PASS");
  await expect(panel.getByTestId("tests-summary")).toHaveText("1 passed, 0 failed");
  await shot(page, "flow-tests-1-pass");

  // break it: the log is now expected to show an amount it never gets
  await theCase.getByTestId("test-case-edit").click();
  await theCase.getByTestId("test-case-json").fill(bigOrders(60));
  await theCase.getByTestId("test-case-save").click();
  await expect(theCase).toHaveAttribute("data-status", "not-run");
  await theCase.getByTestId("test-case-run").click();
  await expect(theCase).toHaveAttribute("data-status", "fail");
  await expect(theCase.getByTestId("test-case-status")).toHaveText("FAIL");
  const mismatch = theCase.getByTestId("test-mismatch");
  await expect(mismatch).toHaveCount(1);
  await expect(mismatch).toContainText('expect["out"].records');
  await expect(mismatch.getByTestId("test-expected")).toContainText('"amount": 60');
  await expect(mismatch.getByTestId("test-actual")).toContainText('"amount": 50');
  await shot(page, "flow-tests-2-fail-expected-vs-actual");

  // a bad edit is refused with the path of what is wrong, and changes nothing
  await theCase.getByTestId("test-case-edit").click();
  await theCase.getByTestId("test-case-json").fill('{ "inputs": {} }');
  await theCase.getByTestId("test-case-save").click();
  await expect(theCase.getByTestId("test-case-errors")).toHaveText("name: required");
  await theCase.getByRole("button", { name: "Cancel" }).click();

  // the cases are part of the flow: saved with it
  await save(page, 2);
  const stored = await getFlowViaApi(engineUrl, doc.id);
  expect((stored.document as unknown as { tests: { name: string; expect: unknown }[] }).tests).toEqual([
    { name: "only big orders are shown", inputs: { gen: [{ value: { amount: 5, id: 1 } }, { value: { amount: 50, id: 2 } }] }, expect: JSON.parse(bigOrders(60)).expect },
  ]);
});

test("tap panel: save the records on an edge as a test case, then run it", async ({ page, engineUrl }) => {
  const doc = genFilterLog(unique("tapcase"));
  await saveFlowViaApi(engineUrl, doc);
  try {
    await openFlow(page, doc);
    await deploy(page);
    // the generator's 10 records are on the edge's topic: the tap reads them back
    await page.getByTestId(`edge-label-${edgeIdOf("gen", "success", "big")}`).click();
    await expect(page.getByTestId("edge-panel")).toBeVisible();
    const tap = page.getByTestId("tap-panel");
    await expect(tap.getByTestId("tap-toggle")).toBeEnabled({ timeout: 15_000 }); // once live stats arrive
    await tap.getByTestId("tap-toggle").click();
    await expect(tap.getByTestId("tap-record")).toHaveCount(10, { timeout: 30_000 });
    await tap.getByTestId("tap-save-case").scrollIntoViewIfNeeded();
    await shot(page, "flow-tests-3-tapped-records");
    await tap.getByTestId("tap-save-case").click();

    const panel = page.getByTestId("tests-panel");
    const theCase = panel.locator('[data-testid=test-case][data-name="tapped at gen.success"]');
    await expect(theCase).toBeVisible();
    await theCase.getByTestId("test-case-edit").click();
    // the tapped records are the source's inputs, oldest first, without the runtime's headers
    const text = await theCase.getByTestId("test-case-json").inputValue();
    const made = JSON.parse(text) as { inputs: { gen: { value: { id: number }; headers?: unknown }[] } };
    expect(made.inputs.gen.map((r) => r.value.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(made.inputs.gen.every((r) => r.headers === undefined)).toBe(true);
    // the person adds what the log must show: the 8 records over 10
    await theCase.getByTestId("test-case-json").fill(JSON.stringify({ ...made, expect: { out: { count: 8, each: "value.amount > 10" } } }, null, 2));
    await theCase.getByTestId("test-case-save").click();
    await theCase.getByTestId("test-case-run").click();
    await expect(theCase).toHaveAttribute("data-status", "pass");
    await shot(page, "flow-tests-4-tapped-case-passes");
    await stop(page);
  } finally {
    await stopViaApi(engineUrl, doc.id);
  }
});
