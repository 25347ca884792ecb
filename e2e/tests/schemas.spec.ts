import { expect, test, trpc } from "../fixtures.js";
import { shot, unique } from "../helpers/designer.js";

const subject = `${unique("orders")}-value`;
const viewer = unique("viewer");
const PASSWORD = "e2e-schemas-password";

const order = (extra: object[] = []) =>
  JSON.stringify(
    {
      type: "record",
      name: "Order",
      namespace: "shop",
      fields: [
        { name: "id", type: "string" },
        { name: "amount", type: "long" },
        ...extra,
      ],
    },
    null,
    2,
  );

test("a schema registered through the Schemas page: v1 listed, an incompatible v2 refused with its reason, a compatible v2 registered with its diff; a viewer only reads", async ({ page, browser, engineUrl }) => {
  await page.goto("/");
  await page.getByTestId("schemas-button").click();
  await expect(page.getByTestId("schemas-panel")).toBeVisible();

  // a new subject: its first version needs no compatibility, but is still checked first
  await page.getByTestId("schemas-new-subject").click();
  await page.getByTestId("schema-new-subject-name").fill(subject);
  await page.getByTestId("schema-new-text").fill('{"type": "record", "name": ');
  await expect(page.getByTestId("schema-new-error")).toContainText("Not valid JSON");
  await expect(page.getByTestId("schema-check")).toBeDisabled();
  await page.getByTestId("schema-new-text").fill(order());
  await expect(page.getByTestId("schema-register")).toBeDisabled();
  await page.getByTestId("schema-check").click();
  await expect(page.getByTestId("schema-check-result")).toHaveAttribute("data-compatible", "true");
  await page.getByTestId("schema-register").click();

  await expect(page.getByTestId(`schema-subject-latest-${subject}`)).toHaveText("v1 · BACKWARD");
  await expect(page.getByTestId("schema-subject-view")).toHaveAttribute("data-subject", subject);
  await expect(page.getByTestId("schema-version-number")).toHaveText("1");
  await expect(page.getByTestId("schema-id")).toHaveText(/^\d+$/);
  await expect(page.getByTestId("schema-text")).toContainText('"name": "amount"');
  await shot(page, "schemas-v1");

  // a new required field without a default: readers of v2 could not read what v1 wrote
  await page.getByTestId("schema-new-text").fill(order([{ name: "country", type: "string" }]));
  await page.getByTestId("schema-check").click();
  const refused = page.getByTestId("schema-check-result");
  await expect(refused).toHaveAttribute("data-compatible", "false");
  await expect(refused).toContainText("Not compatible (BACKWARD)");
  await expect(refused).toContainText("country");
  await expect(page.getByTestId("schema-register")).toBeDisabled();
  await expect(page.getByTestId("schema-register").locator("..")).toHaveAttribute("title", /refuses this version/);
  await shot(page, "schemas-v2-refused");

  // an optional field with a default is backward compatible
  await page.getByTestId("schema-new-text").fill(order([{ name: "email", type: ["null", "string"], default: null }]));
  await expect(page.getByTestId("schema-check-result")).toHaveCount(0);
  await page.getByTestId("schema-check").click();
  await expect(page.getByTestId("schema-check-result")).toHaveAttribute("data-compatible", "true");
  await expect(page.getByTestId("schema-new-diff")).toContainText("+ email: null | string (default null)");
  await page.getByTestId("schema-register").click();

  await expect(page.getByTestId(`schema-subject-latest-${subject}`)).toHaveText("v2 · BACKWARD");
  await expect(page.getByTestId("schema-version-number")).toHaveText("2");
  await expect(page.getByTestId("schema-version-2")).toHaveAttribute("aria-selected", "true");
  const added = page.getByTestId("schema-diff-line");
  await expect(added).toHaveCount(1);
  await expect(added).toHaveAttribute("data-kind", "added");
  await expect(added).toHaveAttribute("data-path", "email");
  await expect(page.getByTestId("schema-diff")).toContainText("Changes since v1");
  await shot(page, "schemas-v2-diff");

  // the search finds it; v1 is still there with its own schema
  await page.getByTestId("schemas-search").fill("no-such-subject");
  await expect(page.getByTestId(`schema-subject-${subject}`)).toHaveCount(0);
  await page.getByTestId("schemas-search").fill(subject.slice(0, 12).toUpperCase());
  await expect(page.getByTestId(`schema-subject-${subject}`)).toBeVisible();
  await page.getByTestId("schema-version-1").click();
  await expect(page.getByTestId("schema-version-number")).toHaveText("1");
  await expect(page.getByTestId("schema-text")).not.toContainText("email");

  const subjects = await trpc<{ subject: string; versions: number[] }[]>(engineUrl, "schemaRegistry.subjects", undefined, "query");
  expect(subjects.find((s) => s.subject === subject)?.versions).toEqual([1, 2]);

  // a viewer reads the versions; registering and the compatibility level are disabled with the role they take
  await trpc(engineUrl, "users.add", { name: viewer, role: "viewer", password: PASSWORD });
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] }, baseURL: engineUrl });
  const asViewer = await context.newPage();
  await asViewer.goto("/");
  await asViewer.getByTestId("login-name").fill(viewer);
  await asViewer.getByTestId("login-password").fill(PASSWORD);
  await asViewer.getByTestId("login-submit").click();
  await asViewer.getByTestId("schemas-button").click();
  await asViewer.getByTestId(`schema-subject-${subject}`).click();
  await expect(asViewer.getByTestId("schema-version-number")).toHaveText("2");
  await expect(asViewer.getByTestId("schemas-new-subject")).toBeDisabled();
  await expect(asViewer.getByTestId("schema-compatibility")).toBeDisabled();
  await expect(asViewer.getByTestId("schema-check")).toBeDisabled();
  await expect(asViewer.getByTestId("schema-register").locator("..")).toHaveAttribute("title", /Needs the editor role/);
  await context.close();
});
