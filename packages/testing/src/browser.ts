// Debian's Chromium, driven by playwright-core (a browser download is impossible here), with the
// flags that keep it quiet on a machine with no network but loopback.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface LaunchedBrowser {
  context: BrowserContext;
  /** Closes the browser and deletes its fresh profile. */
  close(): Promise<void>;
}

/** A headless Chromium with a fresh, throwaway profile. */
export async function launchChromium(viewport?: {
  width: number;
  height: number;
}): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "coffer-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    ...(viewport ? { viewport } : {}),
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
