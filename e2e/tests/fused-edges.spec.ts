import { expect, test } from "../fixtures.js";
import { deploy, edgeIdOf, openFlow, save, saveFlowViaApi, shot, stopViaApi, unique, type FlowDoc } from "../helpers/designer.js";

/** generate (endless, 20/s) → map → log; no edge names a mode, so the flow's default decides. */
function chain(run: string): FlowDoc {
  return {
    schemaVersion: 1,
    id: `e2e-${run}`,
    name: `Fused ${run}`,
    nodes: [
      { id: "gen", type: "generate", typeVersion: 1, name: "Orders", config: { count: 0, ratePerSec: 20, template: `{ "id": $i, "run": "${run}" }` }, position: { x: 0, y: 0 } },
      { id: "calc", type: "map", typeVersion: 1, name: "Total", config: { expression: `{ "id": value.id, "total": value.id * 3, "run": value.run }` }, position: { x: 320, y: 0 } },
      { id: "out", type: "log", typeVersion: 1, name: "Done", config: {}, position: { x: 640, y: 0 } },
    ],
    edges: [
      { id: edgeIdOf("gen", "success", "calc"), from: { node: "gen", port: "success" }, to: { node: "calc" } },
      { id: edgeIdOf("calc", "success", "out"), from: { node: "calc", port: "success" }, to: { node: "out" } },
    ],
    parameters: [],
  };
}

test("the flow's default edge mode fuses the chain; each edge shows its mode and guarantee; a fused edge can be tapped", async ({ page, engineUrl }) => {
  test.setTimeout(90_000);
  const run = unique("fused");
  const doc = chain(run);
  const edge = edgeIdOf("calc", "success", "out");
  await saveFlowViaApi(engineUrl, doc);
  try {
    await openFlow(page, doc);
    // not deployed: as the document asks (durable by default), the guarantee a deploy starts with
    const mode = page.getByTestId(`edge-mode-label-${edge}`);
    await expect(mode).toContainText("topic");
    await expect(page.getByTestId(`edge-guarantee-label-${edge}`)).toHaveText("≥1");
    await shot(page, "fused-edge-1-durable-document");

    // the flow panel's default: fused
    await page.getByTestId("flow-edge-mode-fused").click();
    await expect(page.getByTestId("flow-edge-mode-fused")).toHaveAttribute("aria-checked", "true");
    await expect(mode).toContainText("fused");
    await save(page, 2);
    await deploy(page);

    // deployed: the plan's mode and the deployment's guarantee, in the label and the edge's panel
    await page.getByTestId(`edge-label-${edge}`).click();
    await expect(page.getByTestId("edge-panel")).toBeVisible();
    await expect(page.getByTestId("edge-runs-as")).toContainText("Runs as fused (in process), at-least-once (deployed plan)");
    await expect(page.getByTestId("edge-mode-fused")).toHaveAttribute("aria-checked", "true");
    await expect(mode).toContainText("fused");
    await expect(page.getByTestId("tap-fused-note")).toContainText("sampled in process");
    // bytes over a fused hop are counted (estimated), not 0
    await expect(page.getByTestId("edge-panel-bytes")).toHaveText(/\((?!0 B)[\d.]+ (B|KB|MB), estimated\)/, { timeout: 15_000 });

    // tapping a fused edge: records sampled in process, shown like Kafka ones but without a position
    const toggle = page.getByTestId("tap-toggle");
    await expect(toggle).toBeEnabled({ timeout: 15_000 });
    await toggle.click();
    const records = page.getByTestId("tap-record");
    await expect.poll(() => records.count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    const first = records.first();
    await expect(first.getByTestId("tap-record-meta")).toContainText("fused (in process)");
    await expect(first).toContainText(`"run": "${run}"`);
    await expect(first).toContainText(/"total": \d+/);
    await shot(page, "fused-edge-2-tap");
    await toggle.click();
    await expect(toggle).toHaveText("Tap edge");
    await first.getByText("headers").click();
    await expect(first.locator("details pre")).toContainText('"mr.id"');
  } finally {
    await stopViaApi(engineUrl, doc.id);
  }
});
