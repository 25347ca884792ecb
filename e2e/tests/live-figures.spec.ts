import { join } from "node:path";
import { expect, screenshotDir, test } from "../fixtures.js";
import { deploy, edgeIdOf, getFlowViaApi, node, openFlow, saveFlowViaApi, selectNode, shot, stop, stopViaApi, unique, type FlowDoc } from "../helpers/designer.js";

/** generate → map (fails on every 7th record, failure port unconnected) → log */
function poisonFlow(run: string): FlowDoc {
  return {
    schemaVersion: 1,
    id: `live-${run}`,
    name: `Live figures ${run}`,
    nodes: [
      { id: "generate-1", type: "generate", typeVersion: 1, config: { count: 0, ratePerSec: 20, template: '{ "id": $i }' }, position: { x: 40, y: 80 } },
      {
        id: "map-1",
        type: "map",
        typeVersion: 1,
        config: { expression: 'value.id % 7 = 3 ? $error("poison record " & $string(value.id)) : { "id": value.id, "ok": true }' },
        position: { x: 400, y: 80 },
      },
      { id: "log-1", type: "log", typeVersion: 1, config: {}, position: { x: 760, y: 80 } },
    ],
    edges: [
      { id: edgeIdOf("generate-1", "success", "map-1"), from: { node: "generate-1", port: "success" }, to: { node: "map-1" } },
      { id: edgeIdOf("map-1", "success", "log-1"), from: { node: "map-1", port: "success" }, to: { node: "log-1" } },
    ],
    parameters: [],
  };
}

const num = async (l: import("@playwright/test").Locator, attr: string) => Number((await l.getAttribute(attr)) ?? NaN);

test("a running node shows rates, a rising sparkline and its failures with the reason; stale figures are greyed", async ({ page, engineUrl }) => {
  test.setTimeout(120_000);
  const run = unique("lf");
  const doc = poisonFlow(run);
  await saveFlowViaApi(engineUrl, doc);
  // the test can silence the live-stats stream (as an engine that stopped answering would):
  // the page's EventSources are kept where the test can close them
  await page.addInitScript(() => {
    const Orig = window.EventSource;
    const all: EventSource[] = [];
    (window as unknown as { __eventSources: EventSource[] }).__eventSources = all;
    window.EventSource = class extends Orig {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        all.push(this);
      }
    };
  });
  try {
    await openFlow(page, doc);
    await deploy(page);

    // rates in and out, live
    const mapStats = page.getByTestId("node-stats-map-1");
    await expect(mapStats).toBeVisible({ timeout: 20_000 });
    await expect(page.getByTestId("node-rate-in-map-1")).toHaveText(/^[1-9][\d.]*\/s in$/, { timeout: 20_000 });
    await expect(page.getByTestId("node-rate-out-map-1")).toHaveText(/^[\d.]+\/s out$/);
    // a source shows its out rate only
    await expect(page.getByTestId("node-rate-out-generate-1")).toHaveText(/^[1-9][\d.]*\/s out$/);
    await expect(page.getByTestId("node-rate-in-generate-1")).toHaveCount(0);

    // the sparkline: one sample a tick, a polyline that grows and is not flat at zero
    const spark = page.getByTestId("node-spark-map-1");
    await expect.poll(() => num(spark, "data-samples"), { timeout: 20_000 }).toBeGreaterThanOrEqual(4);
    const samples = await num(spark, "data-samples");
    await expect.poll(() => num(spark, "data-samples"), { timeout: 10_000 }).toBeGreaterThan(samples);
    const points = ((await spark.locator("polyline").getAttribute("points")) ?? "").trim().split(/\s+/);
    expect(points.length).toBeGreaterThanOrEqual(4);
    const ys = points.map((p) => Number(p.split(",")[1]));
    expect(Math.min(...ys)).toBeLessThan(Math.max(...ys)); // it rose from 0 to the rate
    expect(await num(spark, "data-last")).toBeGreaterThan(0);

    // the edge: records/s and its queue against the threshold
    const edgeStats = page.getByTestId(`edge-stats-${edgeIdOf("generate-1", "success", "map-1")}`);
    await expect(edgeStats).toContainText("/s");
    await expect(page.getByTestId(`edge-queue-${edgeIdOf("generate-1", "success", "map-1")}`)).toContainText(/queue \d/);

    // failures: a red badge with the count, the reason on hover
    const badge = page.getByTestId("node-failures-map-1");
    await expect(badge).toBeVisible({ timeout: 20_000 });
    await expect(badge).toHaveAttribute("data-recent", "true");
    await expect.poll(() => num(badge, "data-errors")).toBeGreaterThan(0);
    await expect(page.getByTestId("node-failures-generate-1")).toHaveCount(0);
    const tip = page.getByTestId("node-failures-tip-map-1");
    await expect(tip).toBeHidden();
    await badge.hover();
    await expect(tip).toBeVisible();
    await expect(tip).toContainText(/poison record \d+/);
    await expect(tip).toContainText(/records? failed since the deployment/);
    await shot(page, "live-figures-1-failing-node");
    // a close-up at 100 % zoom: the figures, the sparkline and the tooltip readable
    await page.keyboard.press("f");
    await page.locator(".react-flow__controls-zoomin").click();
    await page.locator(".react-flow__controls-zoomin").click();
    await expect(badge).toBeInViewport();
    await badge.hover();
    await expect(tip).toBeVisible();
    const box = (await node(page, "map-1").boundingBox())!;
    await page.screenshot({ path: join(screenshotDir, "live-figures-1b-map-node.png"), clip: { x: box.x - 190, y: box.y - 20, width: box.width + 380, height: box.height + 140 } });
    await page.mouse.move(5, 700);
    await expect(tip).toBeHidden();
    await expect.poll(() => num(spark, "data-samples"), { timeout: 20_000 }).toBeGreaterThanOrEqual(12);
    await page.screenshot({ path: join(screenshotDir, "live-figures-1c-figures.png"), clip: { x: box.x - 190, y: box.y - 20, width: box.width + 380, height: box.height + 60 } });

    // ... and on keyboard focus (the badge is a button); the node panel says it too
    await page.mouse.move(5, 400);
    await badge.focus();
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Tab");
    await expect(tip).toBeVisible();
    await page.keyboard.press("Escape");
    await selectNode(page, "map-1");
    await expect(page.getByTestId("node-panel-stats")).toContainText(/errors \d+/);
    await expect(page.getByTestId("node-panel-last-error")).toContainText(/poison record \d+/);
    await shot(page, "live-figures-2-node-panel");

    // the engine goes silent: no tick for over 3 s → greyed, "stale", not shown as live
    await page.evaluate(() => {
      for (const es of (window as unknown as { __eventSources: EventSource[] }).__eventSources) if (es.url.includes("stats.live")) es.close();
    });
    await expect(page.getByTestId("stats-stale")).toBeVisible({ timeout: 10_000 });
    await expect(mapStats).toHaveAttribute("data-stale", "true");
    await expect(page.getByTestId("node-stale-map-1")).toBeVisible();
    await expect(page.getByTestId("node-rate-in-map-1")).toHaveText("–/s in");
    await expect(page.getByTestId("node-panel-stale")).toBeVisible();
    await shot(page, "live-figures-3-stale");
    // figures again after a reload: live, not stale
    await page.reload();
    await expect(page.getByTestId("node-rate-in-map-1")).toHaveText(/^[1-9][\d.]*\/s in$/, { timeout: 20_000 });
    await expect(page.getByTestId("stats-stale")).toHaveCount(0);
    await expect(mapStats).not.toHaveAttribute("data-stale", "true");

    await stop(page);
    await expect(node(page, "map-1")).toBeVisible();
    // stopped: the run's totals stay, its failures with them, marked as the last run; no rate claims to be live
    await expect(mapStats).toHaveAttribute("data-last-run", "true");
    await expect(page.getByTestId("node-failures-map-1")).toBeVisible();
    await badge.hover();
    await expect(tip).toContainText(/records? failed in the last run/);
    await expect(page.getByTestId("node-rate-in-map-1")).toHaveCount(0);
  } finally {
    await stopViaApi(engineUrl, doc.id);
  }
});

test("save with a message: Ctrl+Shift+S asks for one, History shows it; Ctrl+S saves at once", async ({ page, engineUrl }) => {
  const run = unique("msg");
  const doc = poisonFlow(run);
  await saveFlowViaApi(engineUrl, doc);
  await openFlow(page, doc);
  await expect(page.getByTestId("flow-version")).toHaveText("v1");

  // an edit, then Ctrl+Shift+S: a small prompt; Enter saves with the message
  await page.getByTestId("flow-description").fill("generates, maps and logs");
  await page.getByTestId("flow-description").press("ControlOrMeta+Shift+S");
  const input = page.getByTestId("save-message-input");
  await expect(input).toBeFocused();
  await input.fill("describe the flow");
  await shot(page, "live-figures-4-save-message");
  await input.press("Enter");
  await expect(page.getByTestId("flow-version")).toHaveText("v2");
  await expect(page.getByTestId("save-message-dialog")).toHaveCount(0);

  // plain Ctrl+S: no prompt, saved right away
  await page.getByTestId("flow-description").fill("generates, maps, logs");
  await page.getByTestId("flow-description").press("ControlOrMeta+s");
  await expect(page.getByTestId("flow-version")).toHaveText("v3");
  await expect(page.getByTestId("save-message-dialog")).toHaveCount(0);

  await page.getByTestId("flow-version").click();
  const history = page.getByTestId("flow-panel");
  await expect(history).toContainText("describe the flow");
  await shot(page, "live-figures-5-history");
  expect((await getFlowViaApi(engineUrl, doc.id)).flow.latestVersion).toBe(3);
});
