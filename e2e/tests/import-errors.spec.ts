import { expect, test } from "../fixtures.js";
import { listFlowsViaApi, shot, unique } from "../helpers/designer.js";

function file(name: string, text: string) {
  return { name, mimeType: "application/json", buffer: Buffer.from(text) };
}

test("importing a broken file shows path-named errors and imports nothing", async ({ page, engineUrl }) => {
  const run = unique("broken");
  await page.goto("/");
  const before = (await listFlowsViaApi(engineUrl)).length;

  await page.getByTestId("import-button").click();
  const dialog = page.getByTestId("import-dialog");

  // 1. not JSON at all
  await dialog.getByTestId("import-file").setInputFiles(file("broken.flow.json", '{ "schemaVersion": 1, "id": "x", "nodes": [ '));
  await expect(dialog).toContainText("Loaded broken.flow.json");
  await dialog.getByTestId("import-submit").click();
  const errors = dialog.getByTestId("import-errors");
  await expect(errors).toBeVisible();
  await expect(errors).toContainText("Nothing was imported");
  await expect(errors.getByTestId("import-error").first()).toContainText(/JSON/i);
  await shot(page, "import-1-bad-json");

  // 2. valid JSON, but the kafka-sink (third node) has no topic
  const doc = {
    schemaVersion: 1,
    id: `e2e-${run}`,
    name: `Broken ${run}`,
    nodes: [
      { id: "gen", type: "generate", typeVersion: 1, config: { count: 5, template: "$i" }, position: { x: 0, y: 0 } },
      { id: "keep", type: "filter", typeVersion: 1, config: { expression: "value > 1" }, position: { x: 300, y: 0 } },
      { id: "sink", type: "kafka-sink", typeVersion: 1, config: {}, position: { x: 600, y: 0 } },
    ],
    edges: [
      { id: "a", from: { node: "gen", port: "success" }, to: { node: "keep" } },
      { id: "b", from: { node: "keep", port: "success" }, to: { node: "sink" } },
    ],
    parameters: [],
  };
  await dialog.getByTestId("import-file").setInputFiles(file("no-topic.flow.json", JSON.stringify(doc, null, 2)));
  await expect(dialog).toContainText("Loaded no-topic.flow.json");
  await expect(errors).toHaveCount(0); // a new file clears the old errors
  await dialog.getByTestId("import-submit").click();
  await expect(errors).toBeVisible();
  const topicError = errors.getByTestId("import-error").filter({ hasText: "nodes[2].config.topic" });
  await expect(topicError).toHaveCount(1);
  await expect(topicError.locator("code")).toHaveText("nodes[2].config.topic");
  await shot(page, "import-2-missing-topic");

  // nothing was written, and the dialog stays open for a fix
  await expect(dialog).toBeVisible();
  expect((await listFlowsViaApi(engineUrl)).length).toBe(before);
  expect((await listFlowsViaApi(engineUrl)).some((f) => f.id === doc.id)).toBe(false);
});
