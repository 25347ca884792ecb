import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, screenshotDir, test } from "../fixtures.js";
import { connect, deploy, dragFromPalette, edges, node, save, selectNode, shot, stop, stopViaApi, typeInto, unique } from "../helpers/designer.js";
import { createTopic, produce } from "../helpers/kafka.js";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** `pnpm millrace …` against the e2e engine, as its admin. */
const millrace = (engineUrl: string, ...args: string[]) =>
  promisify(execFile)(process.execPath, ["--import", "tsx", join(repoRoot, "apps/engine/src/cli/main.ts"), ...args, "--url", engineUrl], { cwd: repoRoot, env: { ...process.env, MILLRACE_TOKEN: process.env.MILLRACE_E2E_TOKEN! } });

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

    // no message keys: the table's key expression chooses each row
    await produce(topic, [
      { value: { id: "cust-1", name: "Ada", tier: "gold" } },
      { value: { id: "cust-2", name: "Grace", tier: "silver" } },
      { value: { id: "vendor-1", name: "Acme" } },
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
    await produce(topic, [{ value: { id: "cust-1", name: "Ada", tier: "platinum" } }]);
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

test("drag a Kafka source and an Aggregate counting by key, deploy, produce: the counts show live in the node's table and `millrace table get` answers them", async ({ page, engineUrl }) => {
  test.setTimeout(120_000);
  const run = unique("count");
  const topic = `e2e-${run}-clicks`;
  await createTopic(topic, 3);
  await page.goto("/");
  await expect(page.getByTestId("canvas-empty")).toBeVisible();
  const flowId = (await page.getByTestId("flow-panel").locator("dd code").first().textContent())!;
  await typeInto(page.getByTestId("flow-name"), `Counts ${run}`);
  await page.getByTestId("flow-name").press("Enter");
  try {
    await dragFromPalette(page, "kafka-source", { x: 140, y: 160 });
    await dragFromPalette(page, "aggregate", { x: 460, y: 300 });
    await expect(node(page, "aggregate-1")).toBeVisible();
    await selectNode(page, "kafka-source-1");
    await typeInto(page.getByTestId("field-topic"), topic);
    await page.getByTestId("field-fromBeginning").check();
    // count by the record key: no group expression, no value
    await selectNode(page, "aggregate-1");
    await page.getByTestId("field-op").selectOption("count");
    for (const field of ["field-groupBy", "field-value"]) if ((await page.getByTestId(field).inputValue()) !== "") await page.getByTestId(field).fill("");
    await connect(page, { node: "kafka-source-1" }, "aggregate-1");
    await expect(page.getByTestId("problem-count")).toHaveCount(0);
    await save(page, 1);
    await deploy(page);

    const clicks = (pageName: string, n: number) => Array.from({ length: n }, () => ({ key: pageName, value: { at: Date.now() } }));
    await produce(topic, [...clicks("home", 3), ...clicks("pricing", 2), ...clicks("docs", 1)]);
    await selectNode(page, "aggregate-1");
    const view = page.getByTestId("table-view");
    const count = (key: string) => view.locator(`[data-testid="table-row"][data-key="${key}"]`).getByTestId("table-value");
    await expect(view.getByTestId("table-row")).toHaveCount(3, { timeout: 30_000 });
    await expect(count("home")).toHaveText("3");
    await expect(count("pricing")).toHaveText("2");
    await shot(page, "table-view-5-counts");
    // more clicks: the count changes in place
    await produce(topic, clicks("home", 4));
    await expect(count("home")).toHaveText("7", { timeout: 20_000 });
    await shot(page, "table-view-6-counts-updated");

    // the same table from the command line
    expect((await millrace(engineUrl, "table", "get", flowId, "aggregate-1", "home")).stdout.trim()).toBe("7");
    expect(JSON.parse((await millrace(engineUrl, "table", "scan", flowId, "aggregate-1", "--json")).stdout)).toEqual({
      rows: [
        { key: "docs", value: 1 },
        { key: "home", value: 7 },
        { key: "pricing", value: 2 },
      ],
      truncated: false,
    });

    // a snapshot of the counts, taken from the panel, listed there with its rows
    await page.getByTestId("table-snapshot-now").click();
    await expect(page.getByTestId("table-snapshot")).toHaveCount(1, { timeout: 30_000 });
    await expect(page.getByTestId("table-snapshot").first()).toContainText("3 rows");
    await shot(page, "table-view-7-snapshot");
    await stop(page);
  } finally {
    await stopViaApi(engineUrl, flowId);
  }
});
