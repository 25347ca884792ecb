import { Kafka, logLevel } from "kafkajs";
import { join } from "node:path";
import { expect, screenshotDir, test } from "../fixtures.js";
import { connect, deploy, dragFromPalette, edges, node, save, selectNode, shot, stop, stopViaApi, typeInto, unique } from "../helpers/designer.js";

const kafka = () => new Kafka({ clientId: "millrace-e2e-table", brokers: process.env.KAFKA_BROKERS!.split(","), logLevel: logLevel.NOTHING });

async function createTopic(topic: string) {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Writes JSON values with no message key: the table's key expression chooses each row. */
async function produce(topic: string, values: object[]) {
  const producer = kafka().producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: values.map((v) => ({ value: JSON.stringify(v) })) });
  } finally {
    await producer.disconnect();
  }
}

test("drag a Kafka source and a Table keyed by an expression, deploy, produce: the node panel shows the rows live, an update changes its row, a prefix search and a key lookup find rows", async ({ page, engineUrl }) => {
  test.setTimeout(120_000);
  const run = unique("table");
  const topic = `e2e-${run}-customers`;
  await createTopic(topic);
  await page.goto("/");
  await expect(page.getByTestId("canvas-empty")).toBeVisible();
  const flowId = (await page.getByTestId("flow-panel").locator("dd code").first().textContent())!;
  await typeInto(page.getByTestId("flow-name"), `Table ${run}`);
  await page.getByTestId("flow-name").press("Enter");

  try {
    await dragFromPalette(page, "kafka-source", { x: 140, y: 160 });
    await expect(node(page, "kafka-source-1")).toBeVisible();
    await dragFromPalette(page, "table", { x: 460, y: 300 });
    await expect(node(page, "table-1")).toBeVisible();

    await selectNode(page, "kafka-source-1");
    await typeInto(page.getByTestId("field-topic"), topic);
    // the records are produced right after the deploy, maybe before the consumer has joined its group
    await page.getByTestId("field-fromBeginning").check();
    await selectNode(page, "table-1");
    await typeInto(page.getByTestId("field-key"), "value.id");
    // not deployed yet: no table to show
    await expect(page.getByTestId("table-view")).toHaveCount(0);

    await connect(page, { node: "kafka-source-1" }, "table-1");
    await expect(edges(page)).toHaveCount(1);
    // the open panel follows the new connection
    await expect(page.getByTestId("config-form")).not.toContainText("Not connected");
    await expect(page.getByTestId("problem-count")).toHaveCount(0);
    await save(page, 1);
    await deploy(page);

    await produce(topic, [
      { id: "cust-1", name: "Ada", tier: "gold" },
      { id: "cust-2", name: "Grace", tier: "silver" },
      { id: "vendor-1", name: "Acme" },
    ]);

    // the rows appear in the table node's panel, in key order
    await selectNode(page, "table-1");
    const view = page.getByTestId("table-view");
    await expect(view).toBeVisible();
    const rows = view.getByTestId("table-row");
    await expect(rows).toHaveCount(3, { timeout: 30_000 });
    await expect(rows.nth(0)).toHaveAttribute("data-key", "cust-1");
    await expect(rows.nth(1)).toHaveAttribute("data-key", "cust-2");
    await expect(rows.nth(2)).toHaveAttribute("data-key", "vendor-1");
    const ada = view.locator('[data-testid="table-row"][data-key="cust-1"]').getByTestId("table-value");
    await expect(ada).toHaveText('{ "id": "cust-1", "name": "Ada", "tier": "gold" }');
    await expect(view.getByTestId("table-rows-line")).toHaveText("3 rows");
    await shot(page, "table-view-1-rows");

    // an update of one key changes its value in place (the panel refreshes by itself)
    await produce(topic, [{ id: "cust-1", name: "Ada", tier: "platinum" }]);
    await expect(ada).toHaveText('{ "id": "cust-1", "name": "Ada", "tier": "platinum" }', { timeout: 20_000 });
    await expect(rows).toHaveCount(3);
    await shot(page, "table-view-2-updated");

    // prefix search
    await page.getByTestId("table-search").fill("cust-");
    await expect(rows).toHaveCount(2);
    await expect(view.getByTestId("table-rows-line")).toHaveText("2 rows starting with “cust-”");
    await page.getByTestId("table-layout-pretty").click();
    await expect(view.locator("pre").first()).toContainText('"tier": "platinum"');
    const panel = (await page.getByTestId("right-panel").boundingBox())!;
    await page.screenshot({ path: join(screenshotDir, "table-view-3-prefix.png"), clip: panel });

    // exact key lookup: one row, or none
    await page.getByTestId("table-search-key").click();
    await page.getByTestId("table-search").fill("cust-2");
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute("data-key", "cust-2");
    await expect(view.getByTestId("table-rows-line")).toContainText("1 row with key “cust-2” · partition");
    await page.getByTestId("table-search").fill("cust-");
    await expect(rows).toHaveCount(0);
    await expect(view.getByTestId("table-rows-line")).toHaveText(/^No row with key “cust-”/);
    await shot(page, "table-view-4-lookup");

    await stop(page);
    await expect(page.getByTestId("table-view")).toHaveCount(0);
  } finally {
    await stopViaApi(engineUrl, flowId);
  }
});
