/**
 * The Users page in a browser: an account locked by failed sign-ins is marked and unlocked by an
 * administrator, and setting a password says that the user's API tokens are revoked.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "../../server/auth/tokens";
import { createUser } from "../../server/auth/users";
import { connect } from "../../server/db/client";
import { ADMIN, launchBrowser, signIn, startApp, type RunningApp } from "./harness";

let browser: Browser;
let app: RunningApp;
const USER = { email: "locked-out@example.com", password: "users-page-password" };

async function signInStatus(email: string, password: string): Promise<number> {
  const response = await fetch(`${app.baseUrl}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: app.baseUrl },
    body: JSON.stringify({ email, password }),
  });
  await response.body?.cancel();
  return response.status;
}

beforeAll(async () => {
  browser = await launchBrowser();
  app = await startApp();
  const database = connect(app.databaseUrl, { max: 1 });
  try {
    const { id } = await createUser(database, { email: USER.email, name: "Lou Locked", password: USER.password, role: "viewer", allCustomers: false });
    await createApiToken(database, id, "nightly export");
  } finally {
    await database.close();
  }
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe("the Users page", () => {
  it("marks an account locked by failed sign-ins and unlocks it", async () => {
    for (let i = 0; i < 5; i++) expect(await signInStatus(USER.email, `wrong-password-${i}`)).toBe(401);
    expect(await signInStatus(USER.email, USER.password)).toBe(429);

    const page = await browser.newPage();
    await signIn(page, app.baseUrl, ADMIN.email, ADMIN.password);
    await page.goto(`${app.baseUrl}/admin/users`);
    const row = page.getByRole("row").filter({ hasText: USER.email });
    await row.getByText("Locked", { exact: true }).waitFor();
    await row.getByRole("button", { name: `Unlock ${USER.email}` }).click();
    await expect.poll(() => page.getByRole("status").innerText()).toContain(`Unlocked ${USER.email}`);
    await expect.poll(() => row.getByText("Locked", { exact: true }).count()).toBe(0);
    expect(await signInStatus(USER.email, USER.password)).toBe(200);
    const [event] = await app.query<{ actor_email: string }>(`SELECT actor_email FROM audit_event WHERE action = 'user-unlocked' AND target = $1`, [USER.email]);
    expect(event?.actor_email).toBe(ADMIN.email);
    await page.close();
  });

  it("says that a new password revokes the user's API tokens, and does it", async () => {
    const page = await browser.newPage();
    await signIn(page, app.baseUrl, ADMIN.email, ADMIN.password);
    await page.goto(`${app.baseUrl}/admin/users`);
    const row = page.getByRole("row").filter({ hasText: USER.email });
    await row.getByRole("button", { name: `Set password for ${USER.email}` }).click();
    await page.getByText("their API tokens are revoked").waitFor();
    await page.getByLabel("New password", { exact: true }).fill("a-brand-new-password");
    await page.getByLabel("Confirm the new password").fill("a-brand-new-password");
    await page.getByRole("button", { name: "Set password", exact: true }).click();
    await expect.poll(() => page.getByRole("status").innerText()).toContain("1 API token revoked");
    const [token] = await app.query<{ revoked: boolean }>(
      `SELECT t.revoked_at IS NOT NULL AS revoked FROM api_token t JOIN "user" u ON u.id = t.user_id WHERE u.email = $1`,
      [USER.email],
    );
    expect(token?.revoked).toBe(true);
    await page.close();
  });
});
