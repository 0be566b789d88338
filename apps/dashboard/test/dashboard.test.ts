// The dashboard end to end: the real `next build` and `next start`, a real vault (in-process, on
// SQLite), a real browser, and the real SDK writing with the key the dashboard created.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, statSync } from "node:fs";
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
import { keyFromSecret, seal } from "../lib/seal.js";

const APP = fileURLToPath(new URL("..", import.meta.url));
const SHOTS = fileURLToPath(new URL("../screenshots/", import.meta.url));
const STORE = "user-tokens";
const SESSION_SECRET = randomBytes(32).toString("base64url");

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

/** The visible controls of the page that have no accessible name (should be none). */
const unlabeled = (page: Page) =>
  page.evaluate(() => {
    const missing: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>(
      "input, select, textarea, button, summary, a[href]",
    )) {
      if ((el as HTMLInputElement).type === "hidden" || el.closest("[hidden]")) continue;
      const labels = (el as HTMLInputElement).labels;
      const name =
        el.getAttribute("aria-label") ??
        (el.getAttribute("aria-labelledby") ? "labelledby" : null) ??
        (labels && labels.length > 0 ? [...labels].map((l) => l.textContent).join(" ") : null) ??
        (["BUTTON", "SUMMARY", "A"].includes(el.tagName) ? el.textContent : null);
      if (!name?.trim()) missing.push(el.outerHTML.slice(0, 120));
    }
    return missing;
  });

/** Calls a server action of the build by name, as a crafted request would (JSON arguments). */
async function callAction(
  base: string,
  name: string,
  args: unknown[],
  headers: Record<string, string> = {},
) {
  const manifest = JSON.parse(
    readFileSync(join(APP, ".next/server/server-reference-manifest.json"), "utf8"),
  ) as { node: Record<string, { exportedName?: string }> };
  const id = Object.entries(manifest.node).find(([, a]) => a.exportedName === name)?.[0];
  if (!id) throw new Error(`no server action ${name} in the build`);
  const response = await fetch(`${base}/projects`, {
    method: "POST",
    headers: { "next-action": id, origin: base, "content-type": "text/plain", ...headers },
    body: JSON.stringify(args),
    redirect: "manual",
  });
  return { status: response.status, text: await response.text() };
}

it("builds with next build", async () => {
  const { code, output, ms } = await nextBuild(APP);
  console.info(`next build of the dashboard: exit ${code}, ${ms} ms`);
  expect(code, output).toBe(0);
});

it("manages stores and keys, shows usage and the audit log, and never leaks the admin token", async () => {
  app = await nextStart(APP, {
    COFFER_URL: vault.url,
    COFFER_DASHBOARD_SECRET: SESSION_SECRET,
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
  // Every request the browser made: none may go to the vault (admin calls are the server's).
  const requested: string[] = [];
  browser.on("request", (request) => requested.push(request.url()));
  const page = await browser.newPage();
  const base = app.url;
  // Script errors and failed loads, hydration mismatches included: there should be none.
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });

  // Signing in: a wrong token is refused, the right one is accepted.
  await page.goto(base);
  expect(await unlabeled(page)).toEqual([]);
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
  expect(await unlabeled(page)).toEqual([]);
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
  const keyRow = page.locator("tr[data-key]", { hasText: "e2e app" });
  const keyId = (await keyRow.getAttribute("data-key")) ?? "";
  expect(await keyRow.locator('[data-label="Scope"]').textContent()).toBe(STORE);
  expect(await keyRow.locator('[data-label="Access"]').textContent()).toBe("read-write");
  expect(await keyRow.locator('[data-label="Prefix"]').textContent()).toBe(
    `${apiKey.slice(0, apiKey.indexOf("_", "coffer_key_".length))}…`,
  );
  expect(await keyRow.locator('[data-label="Last used"]').textContent()).toBe("never");
  // The copy button puts the key on the clipboard.
  await browser.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  await page.getByRole("button", { name: "Copy the new API key" }).click();
  await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(apiKey);
  expect(await unlabeled(page)).toEqual([]);
  await shot(page, "keys-new-key");
  await page.reload();
  expect(await page.locator("#new-api-key").count(), "shown once").toBe(0);

  // A read-only key for every store of the project.
  await page.getByLabel("Name").fill("reader");
  await page.getByLabel("Read only").check();
  await page.getByRole("button", { name: "Create key" }).click();
  await keyBox.waitFor();
  const readerKey = (await keyBox.textContent()) ?? "";
  const readerRow = page.locator("tr[data-key]", { hasText: "reader" });
  await readerRow.waitFor();
  expect(await readerRow.locator('[data-label="Scope"]').textContent()).toBe("All stores");
  expect(await readerRow.locator('[data-label="Access"]').textContent()).toBe("read-only");

  // Ticking a store is enough to scope a key to it (the scope buttons follow the ticks): a key
  // never gets more stores than the operator picked.
  await page.getByLabel("Name").fill("ticked");
  await page.getByRole("checkbox", { name: STORE }).check();
  expect(await page.getByLabel("Only the selected stores:").isChecked()).toBe(true);
  await page.getByRole("button", { name: "Create key" }).click();
  const tickedRow = page.locator("tr[data-key]", { hasText: "ticked" });
  await tickedRow.waitFor();
  expect(await tickedRow.locator('[data-label="Scope"]').textContent()).toBe(STORE);
  // … and "All stores" clears the ticks.
  await page.getByRole("checkbox", { name: STORE }).check();
  await page.getByLabel("All stores of the project").check();
  expect(await page.getByRole("checkbox", { name: STORE }).isChecked()).toBe(false);

  // The SDK writes three entries with it; the list counts them.
  const secret = generateSecret();
  const store = await createVault({ url: vault.url, apiKey, secret }).getDataVaultStore(STORE);
  for (const user of ["alice", "bob", "carol"]) await store.setValue(`gh:${user}`, `token-${user}`);
  expect(await store.getValue("gh:alice")).toBe("token-alice");
  // The read-only key reads them, and is refused a write.
  const reader = await createVault({ url: vault.url, apiKey: readerKey, secret }).getDataVaultStore(
    STORE,
  );
  expect(await reader.getValue("gh:bob")).toBe("token-bob");
  const readOnly = await reader.setValue("gh:eve", "token-eve").catch((error: unknown) => error);
  expect(isCofferError(readOnly) && readOnly.code).toBe("FORBIDDEN");
  await page.goto(`${base}/projects/default/keys`);
  expect(await keyRow.locator('[data-label="Last used"]').textContent()).toMatch(/UTC$/);
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
  const reads = await chart
    .locator("rect.bar-reads")
    .evaluateAll((bars) => bars.map((bar) => Number(bar.getAttribute("data-value"))));
  expect(reads.at(-1)).toBeGreaterThanOrEqual(2);
  expect(await unlabeled(page)).toEqual([]);
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
  await keyRow.getByText("Revoke…").click();
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
  expect(actions).toContain("auth.denied"); // the read-only key's write
  // Events never hold values.
  const auditHtml = await page.content();
  for (const user of ["alice", "bob", "carol", "eve"]) {
    expect(auditHtml.includes(`token-${user}`), `the value of gh:${user}`).toBe(false);
    expect(auditHtml.includes(`gh:${user}`), `the key gh:${user}`).toBe(false);
  }
  expect(await unlabeled(page)).toEqual([]);
  await shot(page, "audit", false);
  await page.getByLabel("Action").selectOption("key.revoke");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(/action=key\.revoke/);
  const filtered = await page
    .locator("tr[data-action]")
    .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-action")));
  expect(filtered).toEqual(["key.revoke"]);
  // … by store, and by API key.
  const column = (label: string) =>
    page.locator(`tr[data-action] td[data-label="${label}"]`).allTextContents();
  await page.getByLabel("Action").selectOption("");
  await page.getByLabel("Store").selectOption(STORE);
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(new RegExp(`store=${STORE}`));
  const byStore = await column("Store");
  expect(byStore.length).toBeGreaterThanOrEqual(4); // store.create, 3 writes (or a batch), …
  expect(new Set(byStore)).toEqual(new Set([STORE]));
  await page.getByLabel("Store").selectOption("");
  await page.getByLabel("API key").selectOption(keyId);
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(new RegExp(`key=${keyId}`));
  expect(new Set(await column("Key"))).toEqual(new Set([keyId]));
  const byKey = await page
    .locator("tr[data-action]")
    .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-action")));
  expect(byKey).toEqual(expect.arrayContaining(["key.revoke", "key.create"]));
  expect(byKey.some((a) => a?.startsWith("entry."))).toBe(true);

  // Deleting the store, behind typing its id.
  // Disabled from the first paint, not only once hydrated (in the server's HTML already).
  const sessionCookie = (await browser.cookies(base)).map((c) => `${c.name}=${c.value}`).join("; ");
  const storeHtml = await (
    await fetch(`${base}/projects/default/stores/${STORE}`, { headers: { cookie: sessionCookie } })
  ).text();
  expect(storeHtml).toMatch(/<button type="submit" class="danger needs-js" disabled="">/);
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
  expect(await page.getByLabel("Display name", { exact: true }).inputValue()).toBe(
    "After the rename",
  );
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

  // The keys and audit pages at phone width: no horizontal scrolling either.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const path of ["keys", "audit"]) {
    await page.goto(`${base}/projects/default/${path}`);
    expect(await noOverflow(page), path).toBe(true);
  }
  await page.setViewportSize({ width: 1280, height: 860 });

  // A link cannot put its own words on a page: only a key id and an error code are echoed.
  await page.goto(`${base}/projects/default/keys?revoked=Call+555-0100+now&error=or+else`);
  const shown = "p.notice:not([hidden]), p.error:not([hidden])";
  expect(await page.locator(shown).allTextContents()).toEqual([]);
  await page.goto(`${base}/projects/default/stores?deleted=Call+555-0100`);
  expect(await page.locator(shown).allTextContents()).toEqual([]);

  // Server actions are public endpoints: a crafted call whose arguments are not a form gets the
  // usual validation message, not a crash.
  const session = (await browser.cookies(base)).find((c) => c.name === "coffer_dashboard_session");
  const cookieHeader = `${session?.name}=${session?.value}`;
  const crafted = await callAction(base, "createStore", ["default", { error: null }, "id=x"], {
    cookie: cookieHeader,
  });
  expect(crafted.status).toBe(200);
  expect(crafted.text).toContain("Enter a store id.");
  // From another site (CSRF), even with the session cookie: a 403 with a code, nothing created.
  const crossSite = await callAction(base, "createProject", [{ error: null }, "id=x"], {
    cookie: cookieHeader,
    origin: "https://evil.example",
  });
  expect(crossSite.status).toBe(403);
  expect(JSON.parse(crossSite.text)).toMatchObject({ error: { code: "CROSS_ORIGIN" } });
  const craftedSignIn = await callAction(base, "signIn", [{ error: null }, 42]);
  expect(craftedSignIn.status).toBe(200);
  expect(craftedSignIn.text).toContain("Enter the admin token.");

  // Signing out ends the session, and a copy of its cookie (a stolen one) no longer opens it.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(`${base}/`);
  await page.goto(`${base}/projects`);
  expect(page.url()).toBe(`${base}/`);
  const replayed = await fetch(`${base}/projects`, {
    headers: { cookie: cookieHeader },
    redirect: "manual",
  });
  expect(replayed.status).toBe(307);
  expect(replayed.headers.get("location")).toMatch(/\/$/);

  // Without JavaScript: sign in, create a store, delete it behind its id (server actions work as
  // plain form posts).
  const noJs = await browser.newPage();
  const cdp = await browser.newCDPSession(noJs);
  await cdp.send("Emulation.setScriptExecutionDisabled", { value: true });
  await noJs.goto(base);
  await noJs.getByLabel("Admin token").fill(adminToken);
  await noJs.getByRole("button", { name: "Sign in" }).click();
  await noJs.waitForURL(`${base}/projects`);
  await noJs.goto(`${base}/projects/default/stores`);
  await noJs.getByLabel("Store id").fill("no-js");
  await noJs.getByRole("button", { name: "Create store" }).click();
  await noJs.locator('tr[data-store="no-js"]').waitFor();
  await noJs.goto(`${base}/projects/default/stores/no-js`);
  await noJs.getByLabel(/to confirm/).fill("no-js");
  await noJs.getByRole("button", { name: "Delete this store" }).click();
  await noJs.waitForURL(/\/stores\?deleted=no-js/);
  expect(await noJs.locator('tr[data-store="no-js"]').count()).toBe(0);
  await noJs.getByRole("button", { name: "Sign out" }).click();
  await noJs.waitForURL(`${base}/`);
  await noJs.close();

  expect(problems).toEqual([]);

  const vaultOrigin = new URL(vault.url).origin;
  expect(requested.filter((url) => new URL(url).origin === vaultOrigin)).toEqual([]);
  expect(requested.length).toBeGreaterThan(10);

  // The admin token is nowhere in what the browser received, nor any value the SDK wrote.
  const received = await Promise.all(bodies);
  expect(received.length).toBeGreaterThan(10);
  const tokenSecret = adminToken.slice(-43); // the secret part may itself contain "_"
  for (const { url, text } of [...received, { url: "DOM", text: await page.content() }]) {
    expect(text.includes(adminToken), `admin token in ${url}`).toBe(false);
    expect(text.includes(tokenSecret), `admin token's secret in ${url}`).toBe(false);
    expect(text.includes("token-alice"), `a value in ${url}`).toBe(false);
  }
});

it("says the vault is down on the page itself, not with the error page", async () => {
  // A second dashboard, same session key, whose vault does not answer.
  const down = await nextStart(APP, {
    COFFER_URL: "http://127.0.0.1:9",
    COFFER_DASHBOARD_SECRET: SESSION_SECRET,
  });
  try {
    const sealed = seal(keyFromSecret(SESSION_SECRET), adminToken, Date.now() + 60_000);
    const cookie = `coffer_dashboard_session=${sealed}`;
    for (const path of [
      "/projects",
      "/projects/default/stores",
      "/projects/default/stores/renamed-store",
      "/projects/default/keys",
      "/projects/default/audit",
    ]) {
      const response = await fetch(`${down.url}${path}`, { headers: { cookie } });
      const html = await response.text();
      expect(response.status, path).toBe(200);
      expect(html, path).toContain("did not answer. Is it running?");
      expect(html.includes(adminToken), path).toBe(false);
    }
  } finally {
    await down.close();
  }
});

it("keeps what was typed when a form is refused, and fits the longest ids on a phone", async () => {
  const page = await browser.newPage();
  const base = app.url;
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  await page.goto(base);
  await page.getByLabel("Admin token").fill(adminToken);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${base}/projects`);

  // A refused id stays in its field, next to the name typed with it, to be corrected.
  const LONG = `${"tokens_".repeat(9)}1`; // 64 characters, none a line-break opportunity
  await page.goto(`${base}/projects/default/stores`);
  await page.getByLabel("Store id").fill(LONG.toUpperCase());
  await page.getByLabel("Display name (optional)").fill("The longest id");
  await page.getByRole("button", { name: "Create store" }).click();
  await expect
    .poll(() => page.locator("p.error:not([hidden])").textContent())
    .toMatch(/not a valid store id/);
  expect(await page.getByLabel("Store id").inputValue()).toBe(LONG.toUpperCase());
  expect(await page.getByLabel("Display name (optional)").inputValue()).toBe("The longest id");
  // Corrected, it is created, and the form empties for the next store.
  await page.getByLabel("Store id").fill(LONG);
  await page.getByRole("button", { name: "Create store" }).click();
  await page.locator(`tr[data-store="${LONG}"]`).waitFor();
  await expect.poll(() => page.getByLabel("Store id").inputValue()).toBe("");
  expect(await page.getByLabel("Display name (optional)").inputValue()).toBe("");

  // The key form keeps its name and scope after a refusal too, and empties after a success.
  await page.goto(`${base}/projects/default/keys`);
  await page.getByLabel("Name", { exact: true }).fill("kept");
  await page.getByLabel("Read only").check();
  await page.getByLabel("Only the selected stores:").check();
  await page.getByRole("button", { name: "Create key" }).click();
  await expect
    .poll(() => page.locator("p.error:not([hidden])").textContent())
    .toMatch(/Select at least one store/);
  expect(await page.getByLabel("Name", { exact: true }).inputValue()).toBe("kept");
  expect(await page.getByLabel("Read only").isChecked()).toBe(true);
  expect(await page.getByLabel("Only the selected stores:").isChecked()).toBe(true);
  await page.getByRole("checkbox", { name: LONG }).check();
  await page.getByRole("button", { name: "Create key" }).click();
  await page.locator("#new-api-key").waitFor();
  await expect.poll(() => page.getByLabel("Name", { exact: true }).inputValue()).toBe("");
  expect(await page.getByLabel("Read only").isChecked()).toBe(false);

  // The longest id (no hyphen to break at) scrolls no page sideways on a phone.
  await page.setViewportSize({ width: 375, height: 812 });
  for (const path of ["stores", `stores/${LONG}`, "keys", `audit?store=${LONG}`]) {
    await page.goto(`${base}/projects/default/${path}`);
    expect(await noOverflow(page), path).toBe(true);
  }

  // A store URL that is not a store id does not put its words in the page title either.
  await page.goto(`${base}/projects/default/stores/Call%20555-0100%20now`);
  expect(await page.title()).not.toContain("555");
  expect(problems).toEqual([]);
  await page.close();
});
