import type { Browser, Page } from "@playwright/test";
import { expect, test, trpc } from "../fixtures.js";
import { shot, unique } from "../helpers/designer.js";

const broker = process.env.KAFKA_BROKERS!.split(",")[0]!;
const brokerHost = broker.slice(0, broker.lastIndexOf(":"));
const name = unique("local");
const PASSWORD = "e2e-connections-password";
const editor = unique("editor");

/** A page of its own, logged in as `user` (the admin's session stays on the test's page). */
async function loggedIn(browser: Browser, user: string): Promise<Page> {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] }, baseURL: process.env.MILLRACE_E2E_URL });
  const page = await context.newPage();
  await page.goto("/");
  await page.getByTestId("login-name").fill(user);
  await page.getByTestId("login-password").fill(PASSWORD);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("header-user-name")).toHaveText(user);
  return page;
}

test("an admin adds a Kafka connection in the form, tests it, sees it listed; a wrong port tests as unreachable; an editor sees it read-only", async ({ page, browser, engineUrl }) => {
  await page.goto("/");
  await page.getByTestId("connections-button").click();
  await expect(page.getByTestId("connections-panel")).toBeVisible();
  await page.getByTestId("connection-add").click();
  await expect(page.getByTestId("connection-type")).toHaveValue("kafka");

  // the browser checks the fields before anything is sent, and says which is wrong
  await page.getByTestId("connection-field-name").fill("Not A Name");
  await page.getByTestId("connection-field-brokers").fill("nohostport");
  await page.getByTestId("connection-form-test").click();
  await expect(page.getByTestId("connection-error-name")).toContainText("lowercase");
  await expect(page.getByTestId("connection-error-brokers")).toContainText("host:port");

  await page.getByTestId("connection-field-name").fill(name);
  await page.getByTestId("connection-field-description").fill("The test run's broker");
  await page.getByTestId("connection-field-brokers").fill(broker);
  await expect(page.getByTestId("connection-error-brokers")).toHaveCount(0);
  // SASL inputs appear with a mechanism, and a password input is a password field
  await page.getByTestId("connection-field-sasl.mechanism").selectOption("scram-sha-256");
  await expect(page.getByTestId("connection-field-sasl.password")).toHaveAttribute("type", "password");
  await page.getByTestId("connection-field-sasl.mechanism").selectOption("");
  await expect(page.getByTestId("connection-field-sasl.password")).toHaveCount(0);

  // tested before it is saved
  await page.getByTestId("connection-form-test").click();
  await expect(page.getByTestId("connection-form-test-result")).toHaveAttribute("data-ok", "true");
  await expect(page.getByTestId("connection-form-test-result")).toContainText("Connected");
  await shot(page, "connections-form-tested");
  await page.getByTestId("connection-save").click();

  const row = page.getByTestId(`connection-row-${name}`);
  await expect(row).toBeVisible();
  await expect(page.getByTestId(`connection-target-${name}`)).toHaveText(broker);
  await expect(row).toContainText("admin");
  await page.getByTestId(`connection-test-${name}`).click();
  await expect(page.getByTestId(`connection-test-result-${name}`)).toHaveAttribute("data-ok", "true");
  await shot(page, "connections-list");

  // edited to a port where nothing listens: the form's test says so in plain words
  await page.getByTestId(`connection-edit-${name}`).click();
  await expect(page.getByTestId("connection-field-name")).toHaveValue(name);
  await expect(page.getByTestId("connection-field-brokers")).toHaveValue(broker);
  await page.getByTestId("connection-field-brokers").fill(`${brokerHost}:1`);
  await page.getByTestId("connection-form-test").click();
  const failed = page.getByTestId("connection-form-test-result");
  await expect(failed).toHaveAttribute("data-reason", "unreachable");
  await expect(failed).toContainText("Unreachable");
  await shot(page, "connections-unreachable");
  await page.getByTestId("connection-cancel").click();
  // cancelled: the stored connection still points at the broker
  const stored = await trpc<{ brokers: string[] }>(engineUrl, "connections.get", { name }, "query");
  expect(stored.brokers).toEqual([broker]);

  // an editor sees the list, every control that would change it disabled with the role it takes
  await trpc(engineUrl, "users.add", { name: editor, role: "editor", password: PASSWORD });
  const asEditor = await loggedIn(browser, editor);
  await asEditor.getByTestId("connections-button").click();
  await expect(asEditor.getByTestId(`connection-row-${name}`)).toBeVisible();
  for (const control of ["connection-add", `connection-edit-${name}`, `connection-test-${name}`, `connection-remove-${name}`]) {
    await expect(asEditor.getByTestId(control)).toBeDisabled();
  }
  await expect(asEditor.getByTestId("connection-add").locator("..")).toHaveAttribute("title", /Needs the admin role/);

  // the admin removes it after confirming
  page.once("dialog", (d) => void d.accept());
  await page.getByTestId(`connection-remove-${name}`).click();
  await expect(row).toHaveCount(0);
});
