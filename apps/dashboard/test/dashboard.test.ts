// The dashboard end to end: the real `next build` and `next start`, a real vault (in-process, on
// SQLite), a real browser, and the real SDK writing with the key the dashboard created.
import { randomBytes } from "node:crypto";
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createVault, generateSecret, isCofferError } from "@coffer/core";
import { type LaunchedBrowser, launchChromium, startVault, type TestVault } from "@coffer/testing";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
// The shared helpers that run `next build` and `next start` in child processes.
import {
  nextBuild,
  nextStart,
  type StartedApp,
} from "../../../packages/nextjs/test/helpers/next-app.js";

const APP = fileURLToPath(new URL("..", import.meta.url));
const SHOTS = fileURLToPath(new URL("../screenshots/", import.meta.url));
const STORE = "user-tokens";

let vault: TestVault;
let adminToken: string;
let app: StartedApp;
let browser: BrowserContext;
let launched: LaunchedBrowser | undefined;

beforeAll(async () => {
  vault = await startVault("sqlite");
  const token = vault.running.bootstrap?.adminToken;
  if (!token) throw new Error("a fresh vault prints its admin token");
  adminToken = token;
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await launched?.close();
  await app?.close();
  await vault?.close();
});

async function shot(page: Page, name: string, fullPage = true) {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  expect(statSync(path).size).toBeGreaterThan(1000);
}

/** The page has no horizontal scrolling. */
const noOverflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

it("builds with next build", async () => {
  const { code, output, ms } = await nextBuild(APP);
  console.info(`next build of the dashboard: exit ${code}, ${ms} ms`);
  expect(code, output).toBe(0);
});

it("manages stores and keys, shows usage and the audit log, and never leaks the admin token", async () => {
  app = await nextStart(APP, {
    COFFER_URL: vault.url,
    COFFER_DASHBOARD_SECRET: randomBytes(32).toString("base64url"),
  });
  launched = await launchChromium({ width: 1280, height: 860 });
  browser = launched.context;
  // Every document, script and fetch (RSC payloads, server action answers) the browser received.
  const bodies: Promise<{ url: string; text: string }>[] = [];
  browser.on("response", (response) => {
    const type = response.request().resourceType();
    if (!["document", "script", "fetch", "xhr", "stylesheet"].includes(type)) return;
    bodies.push(
      response.text().then(
        (text) => ({ url: response.url(), text }),
        () => ({ url: response.url(), text: "" }),
      ),
    );
  });
  const page = await browser.newPage();
  const base = app.url;

  // Signing in: a wrong token is refused, the right one is accepted.
  await page.goto(base);
  await shot(page, "sign-in", false);
  await page.getByLabel("Admin token").fill(`coffer_admin_${"x".repeat(12)}_${"y".repeat(43)}`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect
    .poll(() =>
      page
        .getByRole("alert")
        .filter({ hasText: /refused/ })
        .count(),
    )
    .toBe(1);
  expect(page.url()).toBe(`${base}/`);
  await page.getByLabel("Admin token").fill(adminToken);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${base}/projects`);
  await page.getByRole("link", { name: "Default project" }).click();
  await page.waitForURL(`${base}/projects/default/stores`);

  // The session cookie: httpOnly, SameSite=Strict, sealed.
  const [cookie] = await browser.cookies(base);
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
  expect(cookie?.value).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
  expect(cookie?.value.includes(adminToken)).toBe(false);
  expect(await page.evaluate(() => document.cookie)).toBe("");

  // Creating a store: a bad id and a taken id are refused inline; a good one is listed.
  const createStore = async (id: string, name = "") => {
    await page.getByLabel("Store id").fill(id);
    await page.getByLabel("Display name (optional)").fill(name);
    await page.getByRole("button", { name: "Create store" }).click();
  };
  await createStore("Bad Id");
  await expect
    .poll(() => page.locator("p.error:not([hidden])").textContent())
    .toMatch(/not a valid store id/);
  await createStore(STORE, "User tokens");
  await expect.poll(() => page.locator(`tr[data-store="${STORE}"]`).count()).toBe(1);
  await createStore(STORE);
  await expect
    .poll(() => page.locator("p.error:not([hidden])").textContent())
    .toMatch(/STORE_EXISTS/);

  // An API key scoped to that store, shown once.
  await page.getByRole("link", { name: "API keys" }).click();
  await page.waitForURL(`${base}/projects/default/keys`);
  await page.getByLabel("Name").fill("e2e app");
  await page.getByLabel("Only the selected stores:").check();
  await page.getByRole("checkbox", { name: STORE }).check();
  await page.getByRole("button", { name: "Create key" }).click();
  const keyBox = page.locator("#new-api-key");
  await keyBox.waitFor();
  const apiKey = (await keyBox.textContent()) ?? "";
  expect(apiKey).toMatch(/^coffer_key_/);
  await expect.poll(() => page.locator("tr[data-key]").count()).toBe(1);
  expect(await page.locator("tr[data-key]").textContent()).toContain(STORE);
  await shot(page, "keys-new-key");
  await page.reload();
  expect(await page.locator("#new-api-key").count(), "shown once").toBe(0);

  // The SDK writes three entries with it; the list counts them.
  const secret = generateSecret();
  const store = await createVault({ url: vault.url, apiKey, secret }).getDataVaultStore(STORE);
  for (const user of ["alice", "bob", "carol"]) await store.setValue(`gh:${user}`, `token-${user}`);
  await page.goto(`${base}/projects/default/stores`);
  const entries = page.locator(`tr[data-store="${STORE}"] [data-col="entries"]`);
  expect((await entries.textContent())?.trim()).toBe("3");
  await shot(page, "stores");

  // Phone width: no horizontal scrolling.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  expect(await noOverflow(page)).toBe(true);
  await shot(page, "stores-phone");

  // The store page: its chart counts the three writes of today.
  await page.goto(`${base}/projects/default/stores/${STORE}`);
  expect(await noOverflow(page)).toBe(true);
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.reload();
  expect(await page.locator("#entry-count").textContent()).toBe("3");
  const chart = page.locator("figure.chart svg");
  expect(await chart.getAttribute("role")).toBe("img");
  expect(await chart.locator("title").first().textContent()).toMatch(/Reads and writes/);
  expect(await chart.locator("rect.bar-writes").count()).toBe(14);
  const writes = await chart
    .locator("rect.bar-writes")
    .evaluateAll((bars) => bars.map((bar) => Number(bar.getAttribute("data-value"))));
  expect(writes.reduce((a, b) => a + b, 0)).toBe(3);
  expect(writes.at(-1)).toBe(3);
  expect(await page.locator("#usage-table tbody tr").count()).toBe(14);
  expect(await page.locator("pre").allTextContents()).toEqual(
    expect.arrayContaining([
      expect.stringContaining('import { getDataVaultStore } from "@coffer/nextjs"'),
      expect.stringContaining(`req.vault.getDataVaultStore("${STORE}")`),
      expect.stringContaining("CofferModule.forRoot("),
    ]),
  );
  await shot(page, "store", false);

  // Revoking the key: the SDK is refused from the next request.
  await page.goto(`${base}/projects/default/keys`);
  await page.getByText("Revoke…").click();
  await page.getByRole("button", { name: "Revoke e2e app" }).click();
  await expect.poll(() => page.locator(".badge.revoked").count()).toBe(1);
  const refused = await store.setValue("gh:dave", "token-dave").catch((error: unknown) => error);
  expect(isCofferError(refused) && refused.code).toBe("UNAUTHORIZED");

  // The audit log shows it all, and filters by action.
  await page.getByRole("link", { name: "Audit log" }).click();
  await page.waitForURL(`${base}/projects/default/audit`);
  const actions = await page
    .locator("tr[data-action]")
    .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-action")));
  expect(actions).toEqual(expect.arrayContaining(["store.create", "key.create", "key.revoke"]));
  expect(actions.some((a) => a === "entry.put" || a === "entry.batch_put")).toBe(true);
  await shot(page, "audit", false);
  await page.getByLabel("Action").selectOption("key.revoke");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(/action=key\.revoke/);
  const filtered = await page
    .locator("tr[data-action]")
    .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-action")));
  expect(filtered).toEqual(["key.revoke"]);

  // Deleting the store, behind typing its id.
  await page.goto(`${base}/projects/default/stores/${STORE}`);
  const del = page.getByRole("button", { name: "Delete this store" });
  expect(await del.isDisabled()).toBe(true);
  await page.getByLabel(/to confirm/).fill(STORE);
  await del.click();
  await page.waitForURL(/\/stores\?deleted=/);
  expect(await page.locator(`tr[data-store="${STORE}"]`).count()).toBe(0);
  expect(await page.locator("p.notice:not([hidden])").textContent()).toMatch(/deleted/);

  // Renaming a store changes its display name, not its id.
  await page.goto(`${base}/projects/default/stores`);
  await createStore("renamed-store", "Before");
  await page.goto(`${base}/projects/default/stores/renamed-store`);
  await page.getByLabel("Display name", { exact: true }).fill("After the rename");
  await page.getByRole("button", { name: "Rename" }).click();
  await expect.poll(() => page.locator("h1").textContent()).toBe("After the rename");
  await page.goto(`${base}/projects/default/stores`);
  expect(await page.locator('tr[data-store="renamed-store"]').textContent()).toContain(
    "After the rename",
  );

  // Projects: creating one opens its own, empty stores; the switcher goes back and forth.
  await page.goto(`${base}/projects`);
  await page.getByLabel("Project id").fill("team-b");
  await page.getByRole("button", { name: "Create project" }).click();
  await page.waitForURL(`${base}/projects/team-b/stores`);
  expect(await page.locator("tr[data-store]").count()).toBe(0);
  await page.getByLabel("Project", { exact: true }).selectOption("default");
  await page.getByRole("button", { name: "Switch" }).click();
  await page.waitForURL(`${base}/projects/default/stores`);
  expect(await page.locator('tr[data-store="renamed-store"]').count()).toBe(1);
  await page.getByLabel("Project", { exact: true }).selectOption("team-b");
  await page.getByRole("button", { name: "Switch" }).click();
  await page.waitForURL(`${base}/projects/team-b/stores`);
  await page.goto(`${base}/projects`);
  expect(await page.getByRole("link", { name: "team-b" }).count()).toBe(1);

  // Signing out ends the session.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(`${base}/`);
  await page.goto(`${base}/projects`);
  expect(page.url()).toBe(`${base}/`);

  // The admin token is nowhere in what the browser received.
  const received = await Promise.all(bodies);
  expect(received.length).toBeGreaterThan(10);
  const tokenSecret = adminToken.slice(-43); // the secret part may itself contain "_"
  for (const { url, text } of [...received, { url: "DOM", text: await page.content() }]) {
    expect(text.includes(adminToken), `admin token in ${url}`).toBe(false);
    expect(text.includes(tokenSecret), `admin token's secret in ${url}`).toBe(false);
  }
});
