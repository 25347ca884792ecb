import { readFileSync } from "node:fs";
import { expect, test } from "../fixtures.js";
import { getFlowViaApi, listFlowsViaApi, nodes, openFlow, saveFlowViaApi, shot, unique } from "../helpers/designer.js";
import { genFilterLog } from "../helpers/flows.js";

test("export downloads the contract JSON without secrets, and re-importing it as a copy opens a new flow", async ({ page, engineUrl }) => {
  const run = unique("export");
  const secret = `s3cret-${run}`;
  const doc = { ...genFilterLog(run, `Export ${run}`), parameters: [{ name: "apiToken", value: secret, sensitive: true }, { name: "region", value: "eu-west", sensitive: false }] };
  await saveFlowViaApi(engineUrl, doc);
  await openFlow(page, doc);

  // export: a download named after the flow
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-button").click()]);
  expect(download.suggestedFilename()).toBe(`Export ${run}.flow.json`);
  const path = test.info().outputPath(download.suggestedFilename());
  await download.saveAs(path);
  const text = readFileSync(path, "utf8");
  const exported = JSON.parse(text);
  expect(exported.schemaVersion).toBe(1);
  expect(exported.id).toBe(doc.id);
  expect(exported.name).toBe(doc.name);
  // canonical form: contract key order, nodes and edges sorted by id, so exports diff cleanly
  expect(Object.keys(exported)).toEqual(["schemaVersion", "id", "name", "nodes", "edges", "parameters"]);
  expect(exported.nodes.map((n: { id: string; type: string }) => `${n.id}:${n.type}`)).toEqual(["big:filter", "gen:generate", "out:log"]);
  expect(exported.nodes[0].config).toEqual({ expression: "value.amount > 10" });
  expect(exported.edges.map((e: { from: { node: string; port: string }; to: { node: string } }) => `${e.from.node}.${e.from.port}->${e.to.node}`).sort()).toEqual(["big.success->out", "gen.success->big"]);
  expect(text).not.toContain(secret);
  expect(exported.parameters).toContainEqual({ name: "region", value: "eu-west", sensitive: false });
  const token = exported.parameters.find((p: { name: string }) => p.name === "apiToken");
  expect(token.sensitive).toBe(true);
  expect(token.value ?? "").toBe("");

  // re-import the file as a copy through the dialog
  await page.getByTestId("import-button").click();
  const dialog = page.getByTestId("import-dialog");
  await dialog.getByTestId("import-file").setInputFiles(path);
  await expect(dialog).toContainText(`Loaded Export ${run}.flow.json`);
  await dialog.getByTestId("import-as-copy").check();
  await shot(page, "export-1-import-dialog");
  await dialog.getByTestId("import-submit").click();
  await expect(dialog).toHaveCount(0);

  // the copy is open: a new id, the same graph, a first version
  const idCell = page.getByTestId("flow-panel").locator("dd code").first();
  await expect(idCell).not.toHaveText(doc.id);
  const copyId = (await idCell.textContent())!;
  await expect(nodes(page)).toHaveCount(3);
  await expect(page.getByTestId("flow-version")).toHaveText("v1");
  await expect(page.getByTestId(`flow-item-${copyId}`)).toBeVisible();
  await expect(page.getByTestId(`flow-item-${doc.id}`)).toBeVisible();
  await shot(page, "export-2-copy-open");

  // the original is untouched and keeps its secret on the engine side; the copy has none
  const flows = await listFlowsViaApi(engineUrl);
  expect(flows.find((f) => f.id === doc.id)?.latestVersion).toBe(1);
  const copy = await getFlowViaApi(engineUrl, copyId);
  expect(copy.document.nodes).toHaveLength(3);
  expect(copy.document.edges).toHaveLength(2);
});
