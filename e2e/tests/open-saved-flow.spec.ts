import { join } from "node:path";
import { expect, screenshotDir, test, trpc } from "../fixtures.js";

test("the app lists a flow saved through the API and shows it on the canvas", async ({ page, engineUrl }) => {
  const id = `e2e-open-${Date.now()}`;
  const name = `Orders pipeline ${Date.now() % 10000}`;
  await trpc(engineUrl, "flows.save", {
    document: {
      schemaVersion: 1,
      id,
      name,
      nodes: [
        { id: "gen", type: "generate", typeVersion: 1, name: "Make orders", config: { count: 10, template: "{ 'n': $i }" }, position: { x: 0, y: 0 } },
        { id: "log", type: "log", typeVersion: 1, name: "Show them", config: {}, position: { x: 300, y: 0 } },
      ],
      edges: [{ id: "e1", from: { node: "gen", port: "success" }, to: { node: "log" } }],
      parameters: [],
    },
  });

  await page.goto("/");
  await page.getByText(name).first().click();
  await expect(page.locator(".react-flow__node")).toHaveCount(2);
  await expect(page.locator(".react-flow__node").filter({ hasText: "Make orders" })).toBeVisible();
  await expect(page.locator(".react-flow__edge")).toHaveCount(1);
  await page.screenshot({ path: join(screenshotDir, "open-saved-flow.png") });
});
