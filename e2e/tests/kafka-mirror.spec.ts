import { join } from "node:path";
import { expect, screenshotDir, test } from "../fixtures.js";
import { deploy, dragFromPalette, getFlowViaApi, node, save, selectNode, shot, stop, stopViaApi, typeInto, unique } from "../helpers/designer.js";
import { createTopic, produce, readTopic } from "../helpers/kafka.js";

/** Writes `count` small records to `topic` (keys `<tag><i>`). */
const produceTagged = (topic: string, count: number, tag: string) => produce(topic, Array.from({ length: count }, (_, i) => ({ key: `${tag}${i}`, value: { i } })));

test("drag a Kafka mirror, list its topic with a prefix, save, deploy: produced records are copied, the node and the panel show records copied and lag per topic", async ({ page, engineUrl }) => {
  test.setTimeout(120_000);
  const run = unique("mirror");
  const topic = `e2e-${run}-src`;
  await createTopic(topic, 2);
  await page.goto("/");
  await expect(page.getByTestId("canvas-empty")).toBeVisible();
  const flowId = (await page.getByTestId("flow-panel").locator("dd code").first().textContent())!;
  await typeInto(page.getByTestId("flow-name"), `Mirror ${run}`);
  await page.getByTestId("flow-name").press("Enter");

  try {
    // a source in the palette; on the canvas a node with neither an input nor output ports
    await expect(page.getByTestId("palette-group-source").getByTestId("palette-kafka-mirror")).toContainText("Kafka mirror");
    await dragFromPalette(page, "kafka-mirror", { x: 200, y: 160 });
    const mirror = node(page, "kafka-mirror-1");
    await expect(mirror).toBeVisible();
    await expect(mirror.locator(".react-flow__handle")).toHaveCount(0);
    // nothing to copy yet: the example's topics are a placeholder, not a setting
    await expect(mirror).toHaveClass(/invalid/);

    await selectNode(page, "kafka-mirror-1");
    await expect(page.getByTestId("config-form")).not.toContainText("Not connected");
    // from and to: the saved kafka connections, or the engine's own cluster
    await expect(page.getByTestId("field-from")).toHaveValue("");
    await expect(page.getByTestId("field-to")).toHaveValue("");
    await expect(page.getByTestId("field-from").locator("option").first()).toContainText(/own cluster/);
    await expect(page.getByTestId("field-from-manage")).toBeVisible();

    // topics: one entry per input; a bad entry's error sits under that entry
    await page.getByTestId("field-topics-add").click();
    await expect(page.getByTestId("field-topics[0]")).toBeFocused();
    await typeInto(page.getByTestId("field-topics[0]"), topic);
    await page.getByTestId("field-topics-add").click();
    await expect(page.getByTestId("field-topics[1]")).toBeFocused();
    await page.getByTestId("field-topics[1]").pressSequentially("not a topic!");
    await expect(page.getByTestId("field-error-topics[1]")).toContainText("a topic name has letters");
    await expect(page.getByTestId("field-error-topics[0]")).toHaveCount(0);
    await expect(page.getByTestId("problem-count")).toBeVisible();
    await shot(page, "kafka-mirror-1-entry-error");
    await page.getByTestId("field-topics-remove-1").click();
    await expect(page.getByTestId("field-topics[1]")).toHaveCount(0);
    await expect(page.getByTestId("field-error-topics[1]")).toHaveCount(0);

    // same cluster both sides: a prefix is needed, or each topic would be copied onto itself
    await typeInto(page.getByTestId("field-prefix"), "");
    await expect(page.getByTestId("field-error-prefix")).toContainText("give a prefix");
    await typeInto(page.getByTestId("field-prefix"), "copy.");
    await expect(page.getByTestId("field-error-prefix")).toHaveCount(0);
    await expect(page.getByTestId("problem-count")).toHaveCount(0);
    const panel = (await page.getByTestId("right-panel").boundingBox())!;
    await page.screenshot({ path: join(screenshotDir, "kafka-mirror-2-form.png"), clip: panel });
    await page.getByTestId("canvas").locator(".react-flow__pane").click({ position: { x: 600, y: 500 } });
    await shot(page, "kafka-mirror-3-designed");

    await save(page, 1);
    const saved = await getFlowViaApi(engineUrl, flowId);
    expect(saved.document.nodes[0]).toMatchObject({ type: "kafka-mirror", config: { topics: [topic], prefix: "copy." } });
    expect(saved.document.nodes[0]!.config).not.toHaveProperty("from");
    expect(saved.document.edges).toEqual([]);

    await deploy(page);
    await produceTagged(topic, 30, "a");
    // on the node: the topic, its copy, and nothing left behind once all 30 are copied
    const figures = page.getByTestId("node-replication-kafka-mirror-1");
    await expect(figures).toHaveAttribute("data-topics", "1", { timeout: 30_000 });
    await expect(figures).toHaveAttribute("data-records", "30", { timeout: 30_000 });
    await expect(figures).toHaveAttribute("data-lag", "0");
    await expect(figures).toHaveText("lag 0");
    await expect(page.getByTestId("node-replication-topics-kafka-mirror-1")).toHaveText(`${topic} → copy.${topic}`);
    const box = (await mirror.boundingBox())!;
    await page.screenshot({ path: join(screenshotDir, "kafka-mirror-4-node.png"), clip: { x: box.x - 40, y: box.y - 20, width: box.width + 80, height: box.height + 40 } });

    // more records: copied too, and the panel's table says so per topic
    await produceTagged(topic, 20, "b");
    await selectNode(page, "kafka-mirror-1");
    const row = page.getByTestId(`replication-row-${topic}`);
    await expect(row).toHaveAttribute("data-records", "50", { timeout: 30_000 });
    await expect(row).toHaveAttribute("data-lag", "0");
    await expect(row.getByTestId("replication-target")).toHaveText(`→ copy.${topic}`);
    await expect(page.getByTestId("node-panel-stats")).toContainText("copied 50");
    await shot(page, "kafka-mirror-5-running");

    // the copy really is on the cluster, keys as produced
    const copied = await readTopic(`copy.${topic}`, { expected: 50, timeoutMs: 30_000 });
    expect(new Set(copied.map((r) => r.key))).toEqual(new Set([...Array.from({ length: 30 }, (_, i) => `a${i}`), ...Array.from({ length: 20 }, (_, i) => `b${i}`)]));

    await stop(page);
    await expect(page.getByTestId("node-replication-kafka-mirror-1")).toHaveCount(0);
  } finally {
    await stopViaApi(engineUrl, flowId);
  }
});
