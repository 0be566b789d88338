// The example end to end: the real `next build` and `next start`, a real vault, a real browser.
// A signed-in user saves a GitHub token; the page shows it masked, also after a reload (read
// back through the vault); the token, the secret and the API key are nowhere in what the
// browser received: HTML, scripts, RSC payloads.
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createVault, generateSecret } from "@coffer/core";
import { type LaunchedBrowser, launchChromium, startVault, type TestVault } from "@coffer/testing";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
// The shared helpers that run `next build` and `next start` in child processes.
import {
  nextBuild,
  nextStart,
  type StartedApp,
} from "../../../packages/nextjs/test/helpers/next-app.js";

const APP = fileURLToPath(new URL("..", import.meta.url));
const SCREENSHOT = fileURLToPath(new URL("screenshots/token-page.png", import.meta.url));
const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const TOKEN = `ghp_${[...randomBytes(36)].map((b) => ALPHANUMERIC[b % 62]).join("")}`;
const MASKED = `ghp_…${TOKEN.slice(-4)}`;

let vault: TestVault;
let app: StartedApp;
let browser: BrowserContext;
let env: { COFFER_URL: string; COFFER_API_KEY: string; COFFER_SECRET: string };
let launched: LaunchedBrowser | undefined;

beforeAll(async () => {
  vault = await startVault("sqlite");
  await vault.createStore("oauth-tokens");
  env = {
    COFFER_URL: vault.url,
    COFFER_API_KEY: await vault.createApiKey(),
    COFFER_SECRET: generateSecret(),
  };
});
afterAll(async () => {
  await launched?.close();
  await app?.close();
  await vault?.close();
});

it("builds with next build", async () => {
  const { code, output, ms } = await nextBuild(APP);
  console.info(`next build of the example: exit ${code}, ${ms} ms`);
  expect(code, output).toBe(0);
});

it("saves a token through a server action and only ever shows it masked", async () => {
  app = await nextStart(APP, env);
  launched = await launchChromium();
  browser = launched.context;
  // Every document, script and fetch (RSC payloads, server action results) the browser received.
  const bodies: Promise<{ url: string; type: string; text: string }>[] = [];
  browser.on("response", (response) => {
    const type = response.request().resourceType();
    if (!["document", "script", "fetch", "xhr"].includes(type)) return;
    const contentType = response.headers()["content-type"] ?? "";
    bodies.push(
      response.text().then(
        (text) => ({ url: response.url(), type: contentType, text }),
        () => ({ url: response.url(), type: contentType, text: "" }),
      ),
    );
  });
  const page = await browser.newPage();

  await page.goto(app.url);
  await page.getByLabel("Name").fill("alice");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect.poll(() => page.locator("#user").textContent()).toBe("alice");
  await expect.poll(() => page.locator("#masked-token").textContent()).toBe("none yet");

  await page.getByLabel("New token").fill(TOKEN);
  await page.getByRole("button", { name: "Save to Coffer" }).click();
  await expect.poll(() => page.locator("#masked-token").textContent()).toBe(MASKED);

  await page.reload();
  await expect.poll(() => page.locator("#masked-token").textContent()).toBe(MASKED);
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  expect(statSync(SCREENSHOT).size).toBeGreaterThan(1000);

  // The vault really holds it, for alice, sealed under the app's secret.
  const { COFFER_URL: url, COFFER_API_KEY: apiKey, COFFER_SECRET: secret } = env;
  const store = await createVault({ url, apiKey, secret }).getDataVaultStore("oauth-tokens");
  expect(await store.getValue("github:alice")).toBe(TOKEN);

  const received = await Promise.all(bodies);
  const rsc = received.filter((r) => r.type.includes("text/x-component"));
  expect(rsc.length, "a server action answered with an RSC payload").toBeGreaterThan(0);
  expect(received.filter((r) => r.type.includes("javascript")).length).toBeGreaterThan(0);
  expect(received.some((r) => r.text.includes(MASKED))).toBe(true);
  const secrets = { token: TOKEN, tokenBody: TOKEN.slice(4, -4), ...env };
  for (const { url, text } of [...received, { url: "DOM", text: await page.content() }]) {
    for (const [name, value] of Object.entries(secrets)) {
      if (name === "COFFER_URL") continue;
      expect(text.includes(value), `${name} in ${url}`).toBe(false);
    }
  }
});
