import { expect, test } from "../fixtures.js";
import { connect, deploy, dragFromPalette, edgeIdOf, edges, figure, node, nodes, save, selectNode, shot, stop, stopViaApi, typeInto, unique } from "../helpers/designer.js";
import { readTopic } from "../helpers/kafka.js";

test("build generate → filter → kafka-sink with the mouse, save, deploy, watch live counts, and find the filtered records in Kafka", async ({ page, engineUrl }) => {
  test.setTimeout(90_000);
  const run = unique("build");
  const topic = `e2e-${run}-out`;
  const flowName = `Build ${run}`;

  await page.goto("/");
  await expect(page.getByTestId("canvas-empty")).toBeVisible();
  const flowId = await page.getByTestId("flow-panel").locator("dd code").first().textContent();
  expect(flowId).toBeTruthy();

  try {
    await typeInto(page.getByTestId("flow-name"), flowName);
    await page.getByTestId("flow-name").press("Enter");

    // three processors dragged from the palette
    await dragFromPalette(page, "generate", { x: 110, y: 110 });
    await expect(node(page, "generate-1")).toBeVisible();
    await dragFromPalette(page, "filter", { x: 300, y: 290 });
    await expect(node(page, "filter-1")).toBeVisible();
    await dragFromPalette(page, "kafka-sink", { x: 500, y: 480 });
    await expect(node(page, "kafka-sink-1")).toBeVisible();
    await expect(nodes(page)).toHaveCount(3);

    // configure each through its generated form
    await selectNode(page, "generate-1");
    await typeInto(page.getByTestId("field-count"), "200");
    await typeInto(page.getByTestId("field-ratePerSec"), "25");
    await typeInto(page.getByTestId("field-template"), `{ "id": $i, "amount": $i * 10, "run": "${run}" }`);
    await selectNode(page, "filter-1");
    await typeInto(page.getByTestId("field-expression"), "value.amount >= 1000");
    await selectNode(page, "kafka-sink-1");
    await typeInto(page.getByTestId("field-topic"), topic);

    // connect success ports to inputs
    await connect(page, { node: "generate-1" }, "filter-1");
    await connect(page, { node: "filter-1" }, "kafka-sink-1");
    await expect(edges(page)).toHaveCount(2);
    const genToFilter = edgeIdOf("generate-1", "success", "filter-1");
    const filterToSink = edgeIdOf("filter-1", "success", "kafka-sink-1");
    await expect(page.getByTestId(`edge-label-${genToFilter}`)).toBeVisible();
    await expect(page.getByTestId(`edge-label-${filterToSink}`)).toBeVisible();
    await expect(page.getByTestId("problem-count")).toHaveCount(0);
    await page.getByTestId("canvas").locator(".react-flow__pane").click({ position: { x: 80, y: 560 } });
    await shot(page, "build-1-designed");

    // save: a first version
    await save(page, 1);

    // deploy and watch figures rise on nodes and edges
    await deploy(page);
    const genStats = page.getByTestId("node-stats-generate-1");
    await expect(genStats).toBeVisible({ timeout: 20_000 });
    await expect.poll(() => figure(genStats, "out"), { timeout: 20_000 }).toBeGreaterThan(0);
    const early = await figure(genStats, "out");
    await expect.poll(() => figure(genStats, "out"), { timeout: 20_000 }).toBeGreaterThan(early);
    await expect(page.getByTestId(`edge-stats-${genToFilter}`)).toContainText("/s");
    await shot(page, "build-2-running");
    await expect.poll(() => figure(genStats, "out"), { timeout: 30_000 }).toBe(200);
    await expect.poll(() => figure(page.getByTestId("node-stats-kafka-sink-1"), "in"), { timeout: 30_000 }).toBe(100);
    await expect.poll(() => figure(page.getByTestId("node-stats-filter-1"), "out"), { timeout: 5_000 }).toBe(100);
    await shot(page, "build-3-done");

    // what the sink topic really holds: exactly the records with amount >= 1000
    const got = await readTopic(topic, { expected: 100, timeoutMs: 30_000 });
    const values = got.map((r) => r.value as { id: number; amount: number; run: string });
    expect(values).toHaveLength(100);
    expect(values.every((v) => v.run === run && v.amount >= 1000 && v.amount === v.id * 10)).toBe(true);
    expect(new Set(values.map((v) => v.id))).toEqual(new Set(Array.from({ length: 100 }, (_, i) => 100 + i)));

    await stop(page);
    // stopped: the totals of the run stay on the node, marked as the last run
    await expect(page.getByTestId("node-stats-generate-1")).toHaveAttribute("data-last-run", "true");
    expect(await figure(page.getByTestId("node-stats-generate-1"), "out")).toBe(200);
  } finally {
    if (flowId) await stopViaApi(engineUrl, flowId);
  }
});
