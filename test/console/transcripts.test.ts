import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../src/chromium.js';
import { openConsole, PHONE, problemsOf, shoot } from '../helpers/console.js';
import { librivoxClips } from '../helpers/librivox.js';
import { completedTranscript } from '../helpers/llm.js';
import { startReceiver } from '../helpers/receiver.js';
import { api, startServer, type TestServer } from '../helpers/server.js';

const clips = librivoxClips();

/**
 * Issue 11: one transcript never shows under another's id, and deleted ones leave the list.
 * Issue 17: file names for every browser, durations, options the server honours, find, confidence
 * marks, LeMUR cancel and limit, actions first on a phone.
 */
describe('console transcript list and pages', () => {
  let server: TestServer;
  let browser: Browser;
  let a: { id: string; text: string };
  let b: { id: string; text: string };
  let doomed: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchChromium()]);
    // The shortest clips (3 s), and minutes to transcribe them: the test box is shared by many.
    const [ta, tb, td] = await Promise.all([1, 4, 2].map((i) => completedTranscript(server, clips[i]!.wav, 240_000)));
    a = { id: ta!.id as string, text: ta!.text as string };
    b = { id: tb!.id as string, text: tb!.text as string };
    doomed = td!.id as string;
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.destroy();
  });

  const shownText = (page: Page) =>
    page.innerText('[data-testid=transcript-text]').then((t) =>
      t
        .replace(/\d+:\d\d/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    );

  it('shows nothing of the last transcript under an unknown id, and offers no Delete there', async () => {
    const { context, page } = await openConsole(browser, server);
    await page.goto(`${server.url}/#/t/${a.id}`);
    await page.waitForSelector('.w');
    expect(await shownText(page)).toBe(a.text);
    // The text comes first; the title once the transcript itself is in.
    await expect.poll(() => page.textContent('main .meta code'), { timeout: 10_000 }).toBe(a.id);
    const titleA = await page.textContent('main h1');
    expect(titleA).toBe(`Upload ${a.id.slice(0, 8)}`);

    for (const unknown of [randomUUID(), 'not-an-id']) {
      // In-page navigation (the hash changes), as following a link does.
      await page.evaluate((id) => (location.hash = `#/t/${id}`), unknown);
      await expect.poll(() => page.textContent('main [role=alert]')).toContain('There is no transcript with this id');
      expect(await page.textContent('main h1')).not.toBe(titleA);
      expect(await page.locator('[data-testid=transcript-text]').count()).toBe(0);
      expect(await page.locator('main .meta').count()).toBe(0);
      expect(await page.locator('main button:has-text("SRT")').count()).toBe(0);
      expect(await page.locator('main button:has-text("Delete")').count()).toBe(0);
      expect(await page.locator(`main :text("${a.id}")`).count()).toBe(0);
    }
    await shoot(page, 'transcript-unknown-id');
    expect((await api(server, `/v2/transcript/${a.id}`)).status).toBe(200);

    // From one transcript straight to another: only the second one's text and id.
    await page.evaluate((id) => (location.hash = `#/t/${id}`), a.id);
    await page.waitForSelector('.w');
    await page.evaluate((id) => (location.hash = `#/t/${id}`), b.id);
    await expect.poll(() => page.textContent('main .meta code')).toBe(b.id);
    await page.waitForSelector('.w');
    expect(await shownText(page)).toBe(b.text);
    expect(problemsOf(page)).toEqual([]);
    await context.close();
  }, 120_000);

  it('drops deleted transcripts from the list, and says a deleted one opened by URL was deleted', async () => {
    // A whole page of deleted ones on top (never transcribed: nothing serves this URL), so the list must look past them.
    const filler: string[] = [];
    for (let i = 0; i < 21; i++) {
      const res = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: `${server.url}/v2/upload/${randomUUID()}` } });
      filler.push(((await res.json()) as { id: string }).id);
    }
    for (const id of [doomed, ...filler]) expect((await api(server, `/v2/transcript/${id}`, { method: 'DELETE' })).status).toBe(200);

    const { context, page } = await openConsole(browser, server);
    await page.goto(`${server.url}/`);
    await page.waitForSelector(`.item a[href="#/t/${a.id}"]`);
    await page.waitForSelector(`.item a[href="#/t/${b.id}"]`);
    expect(await page.locator('.item').count()).toBe(2);
    for (const id of [doomed, ...filler]) expect(await page.locator(`.item a[href="#/t/${id}"]`).count()).toBe(0);
    await shoot(page, 'list-without-deleted');

    // Deleting from the list takes the row away at once.
    const row = page.locator('.item', { has: page.locator(`a[href="#/t/${b.id}"]`) });
    await row.locator('button:has-text("Delete")').click();
    await row.locator('button:has-text("Delete for good")').click();
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(0);
    expect(await page.locator('.item').count()).toBe(1);

    await page.goto(`${server.url}/#/t/${doomed}`);
    await expect.poll(() => page.textContent('main [role=status]')).toContain('This transcript was deleted');
    expect(await page.locator('main .badge.completed').count()).toBe(0);
    expect(await page.locator('text=Loading the text').count()).toBe(0);
    expect(await page.locator('main button:has-text("Delete")').count()).toBe(0);
    expect(await page.textContent('main h1')).toBe('Deleted transcript');
    await shoot(page, 'transcript-deleted');
    expect(problemsOf(page)).toEqual([]);
    await context.close();
  }, 120_000);
  /** m:ss of whole seconds rounded down, as the console (and Chromium's player) show them. */
  const mss = (seconds: number) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;

  it("shows each transcript's duration in the list, and the header agrees with the player", async () => {
    const { context, page } = await openConsole(browser, server);
    await page.goto(`${server.url}/`);
    const t = (await (await api(server, `/v2/transcript/${a.id}`)).json()) as { audio_duration: number };
    const item = page.locator('.item', { has: page.locator(`a[href="#/t/${a.id}"]`) });
    await expect.poll(() => item.textContent()).toContain(`· ${mss(t.audio_duration)}`);
    await page.goto(`${server.url}/#/t/${a.id}`);
    await page.waitForFunction(() => (document.querySelector('audio')?.readyState ?? 0) >= 1);
    const player = await page.evaluate(() => document.querySelector('audio')!.duration);
    await expect.poll(() => page.textContent('[data-testid=duration]')).toBe(mss(player));
    await shoot(page, 'transcript-duration');
    await context.close();
  }, 120_000);

  it('finds whole words only, and Enter in find leaves the player where it is', async () => {
    const { context, page } = await openConsole(browser, server);
    await page.goto(`${server.url}/#/t/${a.id}`);
    await page.waitForSelector('.w');
    await page.waitForFunction(() => (document.querySelector('audio')?.readyState ?? 0) >= 1);
    const words = ((await (await api(server, `/v2/transcript/${a.id}`)).json()) as { words: { text: string }[] }).words;
    const bare = (w: string) => w.toLowerCase().replace(/[^a-z']/g, '');
    // A word whose start is no word of its own: the start alone must find nothing.
    const target = words.find((w) => bare(w.text).length > 3 && !words.some((o) => bare(o.text) === bare(w.text).slice(0, -1)))!;
    await page.fill('#find', bare(target.text).slice(0, -1));
    await expect.poll(() => page.textContent('.find [role=status]')).toBe('no match');
    await page.fill('#find', bare(target.text).toUpperCase());
    const count = words.filter((w) => bare(w.text) === bare(target.text)).length;
    await expect.poll(() => page.textContent('.find [role=status]')).toBe(`1 of ${count}`);
    await page.evaluate(() => (document.querySelector('audio')!.currentTime = 1.5));
    await page.press('#find', 'Enter');
    await page.waitForSelector('.w.hit-active');
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => document.querySelector('audio')!.currentTime)).toBe(1.5);
    await shoot(page, 'transcript-find');
    expect(problemsOf(page)).toEqual([]);
    await context.close();
  }, 120_000);

  it('marks only the least sure words, and says what the mark means', async () => {
    const { context, page } = await openConsole(browser, server);
    await page.goto(`${server.url}/#/t/${a.id}`);
    await page.waitForSelector('.w');
    const total = await page.locator('.w').count();
    const low = await page.locator('.w.low').count();
    expect(low).toBeLessThanOrEqual(Math.ceil(total * 0.1));
    const legend = (await page.textContent('[data-testid=legend]'))!;
    if (low === 0) {
      expect(legend).not.toContain('Dotted');
    } else {
      expect(legend).toMatch(new RegExp(`\\(${low} of ${total}\\) were heard with less than \\d+ % confidence`));
      // Every marked word is below the stated threshold, every other one at or above it (to its rounding).
      const threshold = Number(/less than (\d+) %/.exec(legend)![1]) / 100;
      const words = ((await (await api(server, `/v2/transcript/${a.id}`)).json()) as { words: { confidence: number }[] }).words;
      const marked = await page.$$eval('.w', (els) => els.map((e) => e.classList.contains('low')));
      for (const [i, m] of marked.entries())
        expect(m ? words[i]!.confidence < threshold + 0.005 : words[i]!.confidence >= threshold - 0.005).toBe(true);
    }
    await context.close();
  }, 120_000);

  it('puts the actions above the text on a phone', async () => {
    const { context, page } = await openConsole(browser, server, { viewport: PHONE });
    await page.goto(`${server.url}/#/t/${a.id}`);
    await page.waitForSelector('.w');
    const exportTop = (await page.locator('#export-h').boundingBox())!.y;
    const textTop = (await page.locator('[data-testid=transcript-text]').boundingBox())!.y;
    expect(exportTop).toBeLessThan(textTop);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth + 1)).toBe(true);
    await shoot(page, 'transcript-phone', true);
    // On a wide screen the actions sit beside the text, at its top.
    await page.setViewportSize({ width: 1280, height: 860 });
    const side = (await page.locator('#export-h').boundingBox())!;
    const text = (await page.locator('[data-testid=transcript-text]').boundingBox())!;
    expect(side.x).toBeGreaterThan(text.x + text.width - 1);
    await context.close();
  }, 120_000);

  it('offers only the options the server honours', async () => {
    type Caps = { unsupported_features: string[]; languages: string[] | 'all' };
    const caps = (await (await api(server, '/v2/console/capabilities')).json()) as Caps;
    expect(caps.unsupported_features).toContain('speaker_labels');
    // What the capabilities say is what the API does.
    const json = { audio_url: `${server.url}/x.wav`, speaker_labels: true };
    const refused = await api(server, '/v2/transcript', { method: 'POST', json });
    expect(refused.status).toBe(400);
    const { context, page } = await openConsole(browser, server);
    await page.goto(`${server.url}/`);
    await page.click('summary:has-text("Options")');
    await page.waitForSelector('#opt-lang-note');
    expect(await page.locator('label:has-text("Speaker labels")').count()).toBe(0);
    const offered = await page.$$eval('#langs option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(offered).toEqual(caps.languages);
    await shoot(page, 'options-supported-only');
    await context.close();
  }, 120_000);

  it('asks LeMUR with a length limit, and cancels a question on the way', async () => {
    const { context, page } = await openConsole(browser, server);
    // An answer that never comes: the request is held in the browser.
    let asked = 0;
    await page.route('**/lemur/v3/generate/**', () => void asked++);
    await page.goto(`${server.url}/#/lemur?ids=${a.id}`);
    await page.fill('#lemur-text', 'x'.repeat(2500));
    expect((await page.inputValue('#lemur-text')).length).toBe(2000);
    expect(await page.textContent('#lemur-count')).toBe('2000 of 2000 characters');
    await page.fill('#lemur-text', 'Who is mentioned?');
    await page.click('button:has-text("Ask")');
    await expect.poll(() => asked).toBe(1);
    await page.click('button:has-text("Cancel")');
    await expect.poll(() => page.textContent('main [role=status]')).toContain('Cancelled');
    expect(await page.isEnabled('button:has-text("Ask")')).toBe(true);
    expect(await page.locator('button:has-text("Cancel")').count()).toBe(0);
    await shoot(page, 'lemur-cancelled');
    expect(problemsOf(page)).toEqual([]);
    await context.close();
  }, 120_000);

  it('names an upload after its file, in every browser', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-names-'));
    const file = path.join(dir, 'Board meeting – 2 Dec.wav');
    fs.copyFileSync(clips[1]!.wav, file);
    try {
      const first = await openConsole(browser, server);
      await first.page.goto(`${server.url}/`);
      await first.page.setInputFiles('[data-testid=file-input]', file);
      // The name is saved as soon as the transcript exists, long before it is transcribed.
      let id = '';
      await expect
        .poll(
          async () => {
            const list = (await (await api(server, '/v2/transcript?limit=1')).json()) as { transcripts: { id: string }[] };
            id = list.transcripts[0]!.id;
            type Named = { transcripts: { file_name: string | null }[] };
            const d = (await (await api(server, `/v2/console/transcripts?ids=${id}`)).json()) as Named;
            return d.transcripts[0]?.file_name;
          },
          { timeout: 60_000 },
        )
        .toBe(path.basename(file));
      await first.context.close();

      // Another browser, nothing in its storage: the list and the page both have the name.
      const other = await openConsole(browser, server);
      await other.page.goto(`${server.url}/`);
      await expect.poll(() => other.page.textContent(`.item a[href="#/t/${id}"]`)).toBe(path.basename(file));
      await other.page.goto(`${server.url}/#/t/${id}`);
      await expect.poll(() => other.page.textContent('main h1')).toBe(path.basename(file));
      await shoot(other.page, 'upload-named-elsewhere');
      expect(problemsOf(other.page)).toEqual([]);
      await other.context.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
  it('lists webhook attempts to the second with what the receiver said, and redelivers', async () => {
    const receiver = await startReceiver((_req, n) =>
      n === 1 ? { status: 422, body: 'bad signature: expected sha256=abc' } : { status: 200, body: 'thanks' },
    );
    const { context, page } = await openConsole(browser, server);
    try {
      // Audio nobody serves: the transcript fails fast, and its webhook goes out all the same.
      const json = { audio_url: `${server.url}/v2/upload/${randomUUID()}`, webhook_url: `${receiver.url}/hook` };
      const res = await api(server, '/v2/transcript', { method: 'POST', json });
      const { id } = (await res.json()) as { id: string };
      await receiver.waitFor(() => receiver.to('/hook').length === 1, 120_000);
      await page.goto(`${server.url}/#/t/${id}`);
      const hooks = page.locator('section:has(#hooks-h)');
      await expect.poll(() => hooks.locator('td.error').first().textContent(), { timeout: 10_000 }).toBe('422');
      expect(await hooks.locator('tbody tr').first().locator('td').nth(1).textContent()).toMatch(/\d:\d\d:\d\d/);
      expect(await hooks.locator('.excerpt code').first().textContent()).toBe('bad signature: expected sha256=abc');
      await hooks.locator('button:has-text("Redeliver")').click();
      await receiver.waitFor(() => receiver.to('/hook').length === 2, 60_000);
      // The page looks again by itself until the new attempt is there.
      await expect.poll(() => hooks.locator('td.ok').count(), { timeout: 20_000 }).toBe(1);
      expect(await hooks.locator('.excerpt code').nth(1).textContent()).toBe('thanks');
      await shoot(page, 'webhook-deliveries', true);
      type Log = { deliveries: { status_code: number; response_excerpt: string }[] };
      const log = (await (await api(server, `/v2/transcript/${id}/webhook-deliveries`)).json()) as Log;
      expect(log.deliveries.map((d) => [d.status_code, d.response_excerpt])).toEqual([
        [422, 'bad signature: expected sha256=abc'],
        [200, 'thanks'],
      ]);
      // Nothing to redeliver for a transcript without a webhook.
      expect((await api(server, `/v2/console/transcripts/${a.id}/webhook-redeliver`, { method: 'POST' })).status).toBe(400);
      expect(problemsOf(page)).toEqual([]);
    } finally {
      await context.close();
      await receiver.close();
    }
  }, 240_000);
});
