import type { Page } from "@playwright/test";
import { expect, test, trpc } from "../fixtures.js";
import { deploy, edgeIdOf, openFlow, saveFlowViaApi, shot, stopViaApi, unique, type FlowDoc } from "../helpers/designer.js";

/** generate (endless, 20/s) → set-key → log: every edge durable, so both can be tapped. */
function keyedFlow(run: string): FlowDoc {
  return {
    schemaVersion: 1,
    id: `e2e-${run}`,
    name: `Tap ${run}`,
    nodes: [
      { id: "gen", type: "generate", typeVersion: 1, name: "Orders", config: { count: 0, ratePerSec: 20, template: `{ "id": $i, "amount": $i * 10, "run": "${run}" }` }, position: { x: 0, y: 0 } },
      { id: "key", type: "set-key", typeVersion: 1, name: "Key by id", config: { expression: `"order-" & $string(value.id)` }, position: { x: 300, y: 0 } },
      { id: "out", type: "log", typeVersion: 1, name: "Done", config: {}, position: { x: 600, y: 0 } },
    ],
    edges: [
      { id: edgeIdOf("gen", "success", "key"), from: { node: "gen", port: "success" }, to: { node: "key" } },
      { id: edgeIdOf("key", "success", "out"), from: { node: "key", port: "success" }, to: { node: "out" } },
    ],
    parameters: [],
  };
}

/** Opens the flow, deploys it with the button, selects an edge by its label and starts the tap. */
async function tapEdge(page: Page, doc: FlowDoc, edgeId: string) {
  await openFlow(page, doc);
  await deploy(page);
  await page.getByTestId(`edge-label-${edgeId}`).click();
  await expect(page.getByTestId("edge-panel")).toBeVisible();
  const toggle = page.getByTestId("tap-toggle");
  await expect(toggle).toBeEnabled({ timeout: 15_000 }); // enabled once live stats arrive
  await toggle.click();
  await expect(toggle).toHaveText("Stop tap");
}

/** Saves a keyed flow, taps `edgeId` (deploying it) and runs `body`; the flow is stopped afterwards. */
async function withTap(page: Page, engineUrl: string, prefix: string, edgeId: string, body: (doc: FlowDoc, run: string) => Promise<void>) {
  const run = unique(prefix);
  const doc = keyedFlow(run);
  await saveFlowViaApi(engineUrl, doc);
  try {
    await tapEdge(page, doc, edgeId);
    await body(doc, run);
  } finally {
    await stopViaApi(engineUrl, doc.id);
  }
}

test("the edge tap of a running flow streams records with key, value and headers", async ({ page, engineUrl }) => {
  test.setTimeout(60_000);
  await withTap(page, engineUrl, "tap", edgeIdOf("key", "success", "out"), async (_doc, run) => {
    const records = page.getByTestId("tap-record");
    await expect.poll(() => records.count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    const first = records.first();
    await expect(first).toContainText(/key order-\d+/);
    await expect(first).toContainText(`"run": "${run}"`);
    await expect(first).toContainText(/"amount": \d+/);
    // newest first, and still streaming
    const n = await records.count();
    await expect.poll(() => records.count(), { timeout: 10_000 }).toBeGreaterThan(n);
    await page.getByTestId("tap-toggle").click();
    await expect(page.getByTestId("tap-toggle")).toHaveText("Tap edge");

    // headers: the lineage id and its parent (opened once the tap is stopped, see the report)
    await first.getByText("headers").click();
    await expect(first.locator("details pre")).toBeVisible();
    await expect(first.locator("details pre")).toContainText('"mr.id"');
    await expect(first.locator("details pre")).toContainText('"mr.parents"');
    await shot(page, "tap-1-streaming");
  });
});

test("the edge tap shows each record once", async ({ page, engineUrl }) => {
  test.setTimeout(60_000);
  await withTap(page, engineUrl, "tap-once", edgeIdOf("key", "success", "out"), async () => {
    const records = page.getByTestId("tap-record");
    await expect.poll(() => records.count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(20);
    await page.getByTestId("tap-toggle").click();
    // "p1 @4 key order-12": one line per record
    const lines = (await records.locator("div.small").allInnerTexts()).map((l) => l.trim().replace(/\s+/g, " "));
    expect(new Set(lines).size).toBe(lines.length);
  });
});

test("a record seen in the tap has a lineage across nodes (checked through the API)", async ({ page, engineUrl }) => {
  test.setTimeout(60_000);
  await withTap(page, engineUrl, "lin", edgeIdOf("gen", "success", "key"), async () => {
    const first = page.getByTestId("tap-record").first();
    await expect(first).toBeVisible({ timeout: 20_000 });
    await first.getByText("headers").click();
    const headers = JSON.parse((await first.locator("details pre").textContent()) ?? "{}") as Record<string, string>;
    const recordId = headers["mr.id"];
    expect(recordId).toBeTruthy();
    await page.getByTestId("tap-toggle").click();

    // provenance is written in batches: poll until the record's path reaches the log node
    type Lineage = { nodes: { nodeId: string; type: string; recordId: string }[]; links: { from: string; to: string }[] };
    await expect
      .poll(async () => {
        const g = await trpc<Lineage>(engineUrl, "provenance.lineage", { recordId }, "query");
        return [...new Set(g.nodes.map((e) => e.nodeId))].sort();
      }, { timeout: 20_000 })
      .toEqual(["gen", "key", "out"]);
  });
});

test("follow a record's lineage from the tap, see its path across nodes, replay it", async ({ page, engineUrl }) => {
  test.setTimeout(90_000);
  await withTap(page, engineUrl, "lin-ui", edgeIdOf("gen", "success", "key"), async () => {
    const first = page.getByTestId("tap-record").first();
    await expect(first).toBeVisible({ timeout: 20_000 });
    await first.getByTestId("tap-record-lineage").click();
    const panel = page.getByTestId("lineage-panel");
    await expect(panel).toBeVisible();
    // the path across nodes: created at gen, received by key, then by out
    await expect(panel.getByTestId("lineage-event")).toHaveCount(3, { timeout: 20_000 });
    await expect(panel).toContainText("gen");
    await expect(panel).toContainText("key");
    await expect(panel).toContainText("out");
    // the nodes on the path are highlighted on the canvas
    for (const id of ["gen", "key", "out"]) await expect(page.getByTestId(`node-${id}`)).toHaveClass(/lineage/);
    await shot(page, "lineage-1-path");
    // the same by searching the id
    const recordId = (await panel.getByTestId("lineage-record-id").textContent())!;
    await page.getByTestId("lineage-search").fill(recordId);
    await page.getByTestId("lineage-search").press("Enter");
    await expect(panel.getByTestId("lineage-event")).toHaveCount(3);
    // replay: a new record, child of the original
    await panel.getByTestId("lineage-replay").click();
    await expect(page.getByTestId("toast-success")).toContainText(/replayed/i);
  });
});
