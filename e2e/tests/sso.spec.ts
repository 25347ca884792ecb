import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase, freePort, waitFor } from "@millrace/testkit";
import { startTestOidcProvider, type TestOidcProvider } from "../../apps/engine/test-support/oidc-provider.js";
import { E2E_ADMIN_PASSWORD } from "../helpers/auth.js";
import { shot } from "../helpers/designer.js";
import { expect, test } from "../fixtures.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

// a browser that has never logged in
test.use({ storageState: { cookies: [], origins: [] } });

// an engine of its own, configured for single sign-on against a real OpenID Connect provider
let provider: TestOidcProvider;
let engine: ChildProcess;
let engineUrl: string;
let db: Awaited<ReturnType<typeof createTestDatabase>>;

test.beforeAll(async () => {
  db = await createTestDatabase("e2e-sso");
  const port = await freePort();
  engineUrl = `http://127.0.0.1:${port}`;
  provider = await startTestOidcProvider(await freePort(), `${engineUrl}/auth/oidc/callback`, [{ login: "olivia", preferredUsername: "olivia", groups: ["millrace-ops"] }]);
  engine = spawn(join(root, "node_modules/.bin/tsx"), [join(root, "apps/engine/src/main.ts")], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: db.url,
      MILLRACE_WEB_DIST: join(root, "apps/web/dist"),
      MILLRACE_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD,
      MILLRACE_OIDC_ISSUER: provider.issuer,
      MILLRACE_OIDC_CLIENT_ID: provider.clientId,
      MILLRACE_OIDC_CLIENT_SECRET: provider.clientSecret,
      MILLRACE_OIDC_SCOPES: "openid profile groups",
      MILLRACE_OIDC_ROLE_MAP: "millrace-admins=admin,millrace-ops=operator",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  await waitFor(async () => (await fetch(`${engineUrl}/healthz`)).status > 0, 90_000, `the SSO engine at ${engineUrl}/healthz`);
});

test.afterAll(async () => {
  if (engine && engine.exitCode === null) {
    engine.kill("SIGTERM");
    await new Promise((r) => engine.once("exit", r));
  }
  await provider?.close();
  await db?.drop();
});

test("Sign in with SSO: the provider's login form, then the designer as that user with the role of their group", async ({ page }) => {
  await page.goto(engineUrl);
  await expect(page.getByTestId("login-page")).toBeVisible();
  await page.getByTestId("login-sso").click();
  // the provider's own pages: its login form, then its consent page
  await page.locator('input[name="login"]').fill("olivia");
  await page.locator('input[name="password"]').fill("any password");
  await shot(page, "sso-provider-login");
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]').click();
  await expect(page).toHaveURL(`${engineUrl}/`);
  await expect(page.getByTestId("header-user-name")).toHaveText("olivia");
  await expect(page.getByTestId("header-user-role")).toHaveText("operator");
  await shot(page, "sso-signed-in");
});
