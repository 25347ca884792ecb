import { expect, test } from "../fixtures.js";
import type { Page } from "@playwright/test";
import { connect, dragFromPalette, selectNode, shot, typeInto } from "../helpers/designer.js";

async function problemCount(page: Page): Promise<number> {
  const t = await page.getByTestId("problem-count").textContent({ timeout: 1000 }).catch(() => null);
  return t ? Number(/(\d+) problem/.exec(t)?.[1]) : 0;
}

test("a node with invalid config or without its input connection is marked, with the reason on hover", async ({ page }) => {
  await page.goto("/");
  await dragFromPalette(page, "generate", { x: 120, y: 140 });
  await dragFromPalette(page, "kafka-sink", { x: 420, y: 320 });
  // a dropped node's example is a placeholder, not a setting: Generate needs its template typed
  await expect(page.getByTestId("node-error-generate-1")).toBeVisible();
  await selectNode(page, "generate-1");
  await typeInto(page.getByTestId("field-template"), '{ "id": $i }');

  // unconnected sink: marked, reason in the mark's tooltip
  const mark = page.getByTestId("node-error-kafka-sink-1");
  await expect(mark).toBeVisible();
  await mark.hover();
  await expect(mark).toHaveAttribute("title", /needs an input connection/);
  await expect(page.getByTestId("node-kafka-sink-1")).toHaveClass(/invalid/);
  await expect(page.getByTestId("node-error-generate-1")).toHaveCount(0);

  // clear its topic in the form: a second reason, on the field too
  await selectNode(page, "kafka-sink-1");
  await expect(page.getByTestId("config-form")).toContainText("Not connected");
  await typeInto(page.getByTestId("field-topic"), "orders");
  await typeInto(page.getByTestId("field-topic"), "");
  await expect(page.getByTestId("field-error-topic")).toBeVisible();
  await mark.hover();
  await expect(mark).toHaveAttribute("title", /topic/);
  await expect(mark).toHaveAttribute("title", /needs an input connection/);
  await expect(mark).toHaveAttribute("title", /config\.topic: the topic name is empty/);
  // (an empty topic also reports the name-pattern message: the count is per message, not per node)
  await expect.poll(() => problemCount(page)).toBeGreaterThanOrEqual(2);
  const sinkProblems = await problemCount(page);

  // an invalid generate config is marked as well
  await selectNode(page, "generate-1");
  await typeInto(page.getByTestId("field-count"), "-3");
  const genMark = page.getByTestId("node-error-generate-1");
  await expect(genMark).toBeVisible();
  await genMark.hover();
  await expect(genMark).toHaveAttribute("title", /count/);
  await expect.poll(() => problemCount(page)).toBe(sinkProblems + 1);
  await shot(page, "validation-1-marked");

  // the flow panel lists them all, by node
  await page.getByTestId("canvas").locator(".react-flow__pane").click({ position: { x: 60, y: 600 } });
  await expect(page.getByTestId("flow-problems")).toContainText("kafka-sink-1");
  await expect(page.getByTestId("flow-problems")).toContainText("generate-1");
  await shot(page, "validation-2-problem-list");

  // fixing them clears the marks one by one
  await connect(page, { node: "generate-1" }, "kafka-sink-1");
  await mark.hover();
  await expect(mark).not.toHaveAttribute("title", /needs an input connection/);
  await selectNode(page, "kafka-sink-1");
  await typeInto(page.getByTestId("field-topic"), "fixed-topic");
  await expect(mark).toHaveCount(0);
  await selectNode(page, "generate-1");
  await typeInto(page.getByTestId("field-count"), "5");
  await expect(genMark).toHaveCount(0);
  await expect(page.getByTestId("problem-count")).toHaveCount(0);
});
