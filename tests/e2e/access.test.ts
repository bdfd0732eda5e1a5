/**
 * Accounts in a browser: a wrong password, a viewer who sees only their customer, sign-out, the
 * first-run setup, and single sign-on through a real OpenID Connect provider on loopback.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../../server/auth/users";
import { connect } from "../../server/db/client";
import { ADMIN, freePort, launchBrowser, signIn, startApp, type RunningApp } from "./harness";
import { startOidcProvider, type RunningProvider } from "./oidc-provider";

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe("signing in with a password", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("sends security headers with every page", async () => {
    const response = await fetch(`${app.baseUrl}/login`);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-eval");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("x-powered-by")).toBeNull();
  });

  it("sends visitors to the sign-in page and says so when the password is wrong", async () => {
    const page = await browser.newPage();
    await page.goto(`${app.baseUrl}/sources`);
    await page.waitForURL(/\/login\?next=%2Fsources/);
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect.poll(() => page.locator("main [role=alert]").innerText()).toContain("Wrong email or password.");
    await page.close();
  });

  it("shows a viewer only the customer assigned, and signs out", async () => {
    const [customer, other] = await app.query<{ id: string; name: string }>(`SELECT id, name FROM customer ORDER BY name LIMIT 2`);
    const database = connect(app.databaseUrl, { max: 1 });
    try {
      await createUser(database, {
        email: "viewer@example.com", name: "Vera Viewer", password: "viewer-password-1",
        role: "viewer", allCustomers: false, customerIds: [customer!.id],
      });
    } finally {
      await database.close();
    }
    const page = await browser.newPage();
    await signIn(page, app.baseUrl, "viewer@example.com", "viewer-password-1");
    const customerLinks = page.locator("main table a[href^='/customers/']");
    await expect.poll(() => customerLinks.allInnerTexts()).toEqual([customer!.name]);
    // Controls only administrators may use are not offered.
    expect(await page.getByRole("button", { name: "Remove demo data" }).count()).toBe(0);
    await page.goto(`${app.baseUrl}/sources`);
    await page.getByRole("heading", { name: "Sources", level: 1 }).waitFor();
    await expect.poll(() => page.getByRole("button", { name: "Runs" }).count()).toBe(1);
    expect(await page.getByRole("button", { name: /Add source|Delete|Collect now|Edit/ }).count()).toBe(0);
    // How a source is reached is for administrators: no endpoint column, no endpoint.
    expect(await page.getByRole("columnheader", { name: "Endpoint" }).count()).toBe(0);
    expect(await page.locator("main").innerText()).not.toContain("demo:");
    // Another customer's page, reached by its address, shows nothing of it.
    await page.goto(`${app.baseUrl}/customers/${other!.id}`);
    await page.getByText("Customer not found").first().waitFor();
    expect(await page.content()).not.toContain(other!.name);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login/);
    await page.goto(`${app.baseUrl}/`);
    await page.waitForURL(/\/login/);
    await page.close();
  });
});

describe("first run and single sign-on", () => {
  let app: RunningApp;
  let provider: RunningProvider;
  beforeAll(async () => {
    const port = await freePort();
    provider = await startOidcProvider(`http://127.0.0.1:${port}/api/auth/callback/oidc`);
    app = await startApp({
      port,
      withAdmin: false,
      env: {
        FLEETLENS_OIDC_ISSUER: provider.issuer,
        FLEETLENS_OIDC_CLIENT_ID: provider.clientId,
        FLEETLENS_OIDC_CLIENT_SECRET: provider.clientSecret,
        FLEETLENS_OIDC_NAME: "Example SSO",
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await provider?.stop();
  });

  it("sends the first visitor to the setup page, which creates the administrator", async () => {
    expect(app.output()).toContain("/setup to create the first administrator");
    const page = await browser.newPage();
    await page.goto(`${app.baseUrl}/`);
    await page.waitForURL(/\/setup/);
    await page.getByLabel("Your name").fill("Ada Admin");
    await page.getByLabel("Email").fill("ada@example.com");
    await page.getByLabel("Password", { exact: true }).fill("first-admin-password");
    await page.getByLabel("Confirm the password").fill("first-admin-password");
    await page.getByRole("button", { name: "Create the administrator" }).click();
    await page.getByRole("heading", { name: "Fleet", exact: true, level: 1 }).waitFor();
    const [admin] = await app.query<{ role: string; all_customers: boolean }>(`SELECT role, all_customers FROM "user" WHERE email = 'ada@example.com'`);
    expect(admin).toEqual({ role: "admin", all_customers: true });
    // Setup is gone once done.
    await page.goto(`${app.baseUrl}/setup`);
    await page.waitForURL(/\/login|\/$/);
    await page.close();
  });

  it("signs in through the OpenID Connect provider as a new viewer with no customers", async () => {
    const page = await browser.newPage();
    await page.goto(`${app.baseUrl}/login`);
    await page.getByRole("button", { name: "Sign in with Example SSO" }).click();
    // The provider's own login and consent pages.
    await page.waitForURL(new RegExp(`^${provider.issuer}/interaction/`));
    await page.locator("input[name=login]").fill("alice");
    await page.locator("input[name=password]").fill("any");
    await page.locator("button[type=submit]").click();
    await page.locator("button[type=submit]").click(); // consent
    await page.getByRole("heading", { name: "Fleet", exact: true, level: 1 }).waitFor();
    const [user] = await app.query<{ role: string; name: string }>(`SELECT role, name FROM "user" WHERE email = 'alice@sso.example'`);
    expect(user).toEqual({ role: "viewer", name: "SSO alice" });
    await expect.poll(() => page.locator("main table a[href^='/customers/']").count()).toBe(0);
    const [signIns] = await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_event WHERE action = 'sign-in' AND actor_email = 'alice@sso.example'`);
    expect(signIns!.n).toBe(1);
    await page.close();
  });
});
