import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestServer } from './server.js';

/** Screenshots for a reviewer (git-ignored). */
export const ARTIFACTS = path.resolve('test-artifacts/console');
export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

export interface OpenOptions {
  signedIn?: boolean;
  colorScheme?: 'light' | 'dark';
  viewport?: { width: number; height: number };
}

const problems = new WeakMap<Page, string[]>();

/** A fresh browser context on the console, signed in with the server's key unless told otherwise. */
export async function openConsole(
  browser: Browser,
  server: TestServer,
  opts: OpenOptions = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? DESKTOP,
    colorScheme: opts.colorScheme ?? 'light',
    acceptDownloads: true,
  });
  await context.grantPermissions(['microphone'], { origin: server.url });
  if (opts.signedIn !== false) await context.addInitScript((key) => localStorage.setItem('earshot.key', key), server.key);
  const page = await context.newPage();
  const seen: string[] = [];
  page.on('pageerror', (e) => seen.push(e.message));
  // CSP violations and script errors would break the console silently: fail loudly instead.
  page.on('console', (m) => m.type() === 'error' && !/Failed to load resource/.test(m.text()) && seen.push(m.text()));
  problems.set(page, seen);
  return { context, page };
}

/** Script errors and console errors the page has had so far. */
export const problemsOf = (page: Page): string[] => problems.get(page) ?? [];

export async function shoot(page: Page, name: string, fullPage = false): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage });
}
