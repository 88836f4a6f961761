import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../../src/chromium.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { fastStatusEnv, operator, queryDatabase, waitFor, waitForComponent } from './helpers.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** Headless Debian chromium on a fresh profile of its own, with the product's quiet flags. */
async function browser(profile: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
}

/** 89 days of history before today, with a few bad days, as a page in use would have. */
async function seedHistory(server: TestServer): Promise<void> {
  const bad: Record<string, Record<number, string>> = {
    transcription: { 12: 'partial_s', 40: 'major_s' },
    streaming: { 3: 'degraded_s' },
    queue: { 60: 'degraded_s', 61: 'partial_s' },
  };
  for (const component of ['transcription', 'streaming', 'storage', 'queue']) {
    for (let daysAgo = 1; daysAgo < 90; daysAgo++) {
      const column = bad[component]?.[daysAgo];
      await queryDatabase(
        server,
        `insert into status_rollups (component, span, bucket, operational_s${column ? `, ${column}` : ''})
         values ($1, 'day', date_trunc('day', now() - make_interval(days => $2), 'UTC'), $3${column ? ', 3600' : ''})`,
        [component, daysAgo, column ? 82_800 : 86_400],
      );
    }
  }
}

// No silent skip: without Debian's chromium (set-up installs it) this fails and says so, as the console's does.
describe('status page in a browser', () => {
  it('has a browser to run in', () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true);
  });

  let server: TestServer;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    server = await startServer({
      storage: 'postgres',
      env: fastStatusEnv({
        EARSHOT_STATUS_PROBE_SECONDS: '2',
        EARSHOT_STATUS_TITLE: 'Acme Speech',
        EARSHOT_SMTP_URL: 'smtp://127.0.0.1:9',
      }),
    });
    await seedHistory(server);
    for (const id of ['transcription', 'streaming', 'storage', 'queue']) await waitForComponent(server, id, 'operational');
    profile = mkdtempSync(path.join(os.tmpdir(), 'earshot-chromium-'));
    context = await browser(profile);
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await context?.close();
    await server?.destroy();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('shows every component with 90 daily bars and uptime, in one request with no client bundle', async () => {
    const page = await context.newPage();
    await page.setViewportSize({ width: 1100, height: 900 });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await page.goto(`${server.url}/status`);
    expect(await page.title()).toBe('Acme Speech status');
    expect(await page.locator('#indicator').textContent()).toBe('All Systems Operational');
    const cards = page.locator('.component');
    expect(await cards.locator('h3').allTextContents()).toEqual(['Transcription', 'Streaming', 'LeMUR', 'Storage', 'Queue']);
    for (const id of ['transcription', 'streaming', 'storage', 'queue']) {
      const card = page.locator(`[data-component="${id}"]`);
      expect(await card.getAttribute('data-status')).toBe('operational');
      expect(await card.locator('.bars span').count()).toBe(90);
      expect(await card.locator('.bars span').last().getAttribute('class')).toBe('b-operational');
      expect(await card.locator('.legend').textContent()).toMatch(/90 days ago.*% uptime.*Today/);
    }
    // The seeded bad days show in their colours, with the day's uptime on hover and on focus.
    const transcription = page.locator('[data-component="transcription"] .bars span');
    expect(await transcription.nth(89 - 40).getAttribute('class')).toBe('b-major_outage');
    expect(await transcription.nth(89 - 12).getAttribute('aria-label')).toMatch(
      /^\d{4}-\d{2}-\d{2}: 98\.75 % uptime, worst partial outage$/,
    );
    expect(await page.locator('[data-component="lemur"] .s').textContent()).toBe('Not configured');
    // The subscribe form is there (SMTP is set), with a box per component.
    expect(await page.locator('form input[name="components"]').count()).toBe(4);
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page.png'), fullPage: true });
    expect(requests).toEqual(['/status']);
    await page.close();
  });

  it('reaches every day by keyboard: one tab stop per component, arrows between days, the day shown on focus', async () => {
    const page = await context.newPage();
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.goto(`${server.url}/status`);
    const days = page.locator('[data-component="transcription"] .bars span');
    expect(await days.evaluateAll((els) => els.filter((e) => (e as HTMLElement).tabIndex === 0).length)).toBe(1);
    await days.last().focus();
    for (let i = 0; i < 12; i++) await page.keyboard.press('ArrowLeft');
    const focused = page.locator(':focus');
    expect(await focused.getAttribute('aria-label')).toMatch(/98\.75 % uptime, worst partial outage$/);
    // The details are drawn next to the bar, not only in an attribute.
    const tip = await focused.evaluate((e) => getComputedStyle(e, '::after').content);
    expect(tip).toMatch(/98\.75 % uptime/);
    await page.keyboard.press('Home');
    expect(await page.evaluate(() => [...document.activeElement!.parentElement!.children].indexOf(document.activeElement!))).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-keyboard.png') });
    await page.close();
  });

  it("draws each component's response times over the last day once it has two probes", async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}/status`);
    // Probes run every second here; the page refreshes itself.
    const latency = page.locator('[data-component="storage"] .latency');
    await latency.waitFor({ timeout: 30_000 });
    expect(await latency.locator('figcaption').textContent()).toMatch(/^Response time, last 24 h: median \d+ ms, slowest \d+ ms$/);
    expect((await latency.locator('polyline').getAttribute('points'))!.split(' ').length).toBeGreaterThanOrEqual(2);
    await latency.screenshot({ path: path.join(ARTIFACTS, 'status-latency.png') });
    await page.close();
  });

  it('follows a dark system theme', async () => {
    const page = await context.newPage();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${server.url}/status`);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = bg.match(/\d+/g)!.map(Number);
    expect(r! + g! + b!).toBeLessThan(150);
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-dark.png'), fullPage: true });
    await page.close();
  });

  it('reads on a phone: nothing wider than the screen', async () => {
    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/status`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const bar = await page.locator('[data-component="storage"] .bars').boundingBox();
    expect(bar!.width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-phone.png'), fullPage: true });
    await page.close();
  });

  it('refreshes itself: a new incident appears without a reload', async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}/status`);
    let loads = 0;
    page.on('load', () => loads++);
    expect(await page.locator('.incident').count()).toBe(0);
    const res = await operator(server, '/status/incidents', {
      name: 'Delayed webhooks',
      message: 'Webhooks run a few minutes late.',
      impact: 'minor',
      components: ['queue'],
    });
    expect(res.status).toBe(201);
    await page.locator('.incident', { hasText: 'Delayed webhooks' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('#indicator').textContent()).toBe('Minor Service Outage');
    expect(await page.locator('.incident .upd').textContent()).toContain('Webhooks run a few minutes late.');
    expect(loads).toBe(0);
    await waitFor(
      'the screenshot',
      async () => page.screenshot({ path: path.join(ARTIFACTS, 'status-page-incident.png'), fullPage: true }),
      Boolean,
    );
    await page.close();
  });
});
