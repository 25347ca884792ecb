import { expect, test, trpc } from "../fixtures.js";
import { deploy, edgeIdOf, openFlow, saveFlowViaApi, selectNode, shot, stopViaApi, unique, type FlowDoc } from "../helpers/designer.js";
import { readTopic } from "../helpers/kafka.js";

/** generate (endless, 20/s) → kafka-sink writing JSON to its topic, until it is given a schema. */
function sinkFlow(run: string, topic: string): FlowDoc {
  return {
    schemaVersion: 1,
    id: `e2e-${run}`,
    name: `Infer ${run}`,
    nodes: [
      { id: "gen", type: "generate", typeVersion: 1, name: "Items", config: { count: 0, ratePerSec: 20, template: `{ "id": $i, "name": "item-" & $string($i), "amount": $i * 1.5, "run": "${run}" }` }, position: { x: 0, y: 0 } },
      { id: "sink", type: "kafka-sink", typeVersion: 1, name: "Items out", config: { topic, format: "json", keyFormat: "string", subjectNameStrategy: "topic" }, position: { x: 360, y: 0 } },
    ],
    edges: [{ id: edgeIdOf("gen", "success", "sink"), from: { node: "gen", port: "success" }, to: { node: "sink" } }],
    parameters: [],
  };
}

interface AvroField {
  name: string;
  type: unknown;
}

test("infer a schema from a tapped edge into a kafka-sink, register it, use it as the sink's valueSchema: the sink's Schema section shows it, the redeployed sink writes Avro", async ({ page, engineUrl }) => {
  test.setTimeout(120_000);
  const run = unique("infer");
  const topic = `${run}-items`;
  const subject = `${topic}-value`;
  const doc = sinkFlow(run, topic);
  await saveFlowViaApi(engineUrl, doc);
  try {
    await openFlow(page, doc);
    await deploy(page);

    // a JSON sink has no Schema section yet
    await selectNode(page, "sink");
    await expect(page.getByTestId("node-schema")).toHaveCount(0);

    await page.getByTestId(`edge-label-${edgeIdOf("gen", "success", "sink")}`).click();
    await expect(page.getByTestId("edge-panel")).toBeVisible();
    await expect(page.getByTestId("infer-schema-button")).toBeDisabled();
    const toggle = page.getByTestId("tap-toggle");
    await expect(toggle).toBeEnabled({ timeout: 15_000 });
    await toggle.click();
    await expect.poll(() => page.getByTestId("tap-record").count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(6);
    await toggle.click();

    await page.getByTestId("infer-schema-button").click();
    const text = page.getByTestId("infer-schema-text");
    await expect(text).toHaveValue(/"type": "record"/);
    const inferred = JSON.parse(await text.inputValue()) as { type: string; name: string; fields: AvroField[] };
    // named after the sink's topic; every generated field with the type its values have
    expect(inferred.name).toMatch(/^Infer.*Items$/);
    expect(Object.fromEntries(inferred.fields.map((f) => [f.name, f.type]))).toEqual({ id: "long", name: "string", amount: "double", run: "string" });
    // the subject the sink writes under (topic naming strategy)
    await expect(page.getByTestId("infer-schema-subject")).toHaveValue(subject);
    await expect(page.getByTestId("infer-schema-register")).toBeDisabled();
    await page.getByTestId("infer-schema-form").scrollIntoViewIfNeeded();
    await shot(page, "infer-schema-1-inferred");

    // registered only once the registry checked this exact text
    await page.getByTestId("infer-schema-check").click();
    const result = page.getByTestId("infer-schema-check-result");
    await expect(result).toHaveAttribute("data-compatible", "true");
    await expect(result).toContainText("A new subject: this will be its version 1");
    await page.getByTestId("infer-schema-register").click();
    await expect(page.getByTestId("infer-schema-registered")).toContainText(`Registered as ${subject} version 1`);
    await expect(result).toHaveCount(0);
    const versions = await trpc<number[]>(engineUrl, "schemaRegistry.versions", { subject }, "query");
    expect(versions).toEqual([1]);

    await page.getByTestId("infer-schema-use").click();
    await page.getByTestId("infer-schema-registered").scrollIntoViewIfNeeded();
    await shot(page, "infer-schema-2-registered");

    // the sink now writes Avro with that schema: its Schema section shows the subject, v1, no change against it
    await selectNode(page, "sink");
    const section = page.getByTestId("node-schema");
    await expect(section).toBeVisible();
    await expect(section.getByTestId("node-schema-subject")).toHaveText(subject);
    await expect(section.getByTestId("node-schema-version")).toContainText("v1");
    await expect(section.getByTestId("node-schema-text")).toContainText('"name": "amount"');
    await expect(section.getByTestId("node-schema-diff")).toContainText("No field changes.");
    await expect(page.getByTestId("field-format").locator("option:checked")).toHaveText("avro");
    await section.scrollIntoViewIfNeeded();
    await shot(page, "infer-schema-3-sink-schema");

    // an ordinary edit: undone, the sink writes JSON again; redone, Avro
    await page.keyboard.press("ControlOrMeta+z");
    await expect(page.getByTestId("node-schema")).toHaveCount(0);
    await page.keyboard.press("ControlOrMeta+Shift+z");
    await expect(page.getByTestId("node-schema-subject")).toHaveText(subject);

    // saved and redeployed, the sink writes the Confluent wire format (magic byte 0, then the schema id)
    await page.getByTestId("save-button").click();
    await expect(page.getByTestId("flow-version")).toHaveText("v2");
    await page.getByTestId("redeploy-button").click();
    await expect(page.getByTestId("deploy-status")).toHaveAttribute("data-status", "running", { timeout: 30_000 });
    await expect
      .poll(async () => {
        const records = await readTopic(topic, { expected: Number.MAX_SAFE_INTEGER, timeoutMs: 3_000 });
        return records.some((r) => typeof r.value === "string" && r.value.charCodeAt(0) === 0);
      }, { timeout: 30_000 })
      .toBe(true);
    // deploying registered the same schema again: the same version, no new one
    expect(await trpc<number[]>(engineUrl, "schemaRegistry.versions", { subject }, "query")).toEqual([1]);

    // a required field added to the sink's valueSchema: its Schema section shows the change and that the registry would refuse it
    // (typed into the config: tapping the edge again would show the sink topic's Avro bytes, which the tap does not decode)
    inferred.fields.push({ name: "country", type: "string" });
    await page.getByTestId("field-valueSchema").fill(JSON.stringify(inferred, null, 2));
    await expect(page.getByTestId("node-schema-diff")).toContainText("+ country: string (required, no default)");
    const verdict = page.getByTestId("node-schema-check");
    await expect(verdict).toHaveAttribute("data-compatible", "false");
    await expect(verdict).toContainText("Not compatible (BACKWARD)");
    await expect(verdict).toContainText("country");
    await page.getByTestId("node-schema").scrollIntoViewIfNeeded();
    await shot(page, "infer-schema-4-sink-incompatible");
  } finally {
    await stopViaApi(engineUrl, doc.id);
  }
});
