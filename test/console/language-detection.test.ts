import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../src/chromium.js';
import { openConsole, problemsOf, shoot } from '../helpers/console.js';
import { librivoxClip } from '../helpers/librivox.js';
import { api, startServer, type TestServer } from '../helpers/server.js';
import { whisperLidStandin } from '../helpers/whisper-lid.js';

/** The console offers language detection where the server has a model for it, and shows what was detected. */
describe('console language detection', () => {
  let server: TestServer;
  let bare: TestServer;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-console-lid-'));
    const model = whisperLidStandin(path.join(dir, 'sherpa-onnx-whisper-handmade'));
    [server, bare, browser] = await Promise.all([
      startServer({ env: { EARSHOT_LANGUAGE_ID_MODEL: model } }),
      startServer(),
      launchChromium(),
    ]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all([server?.destroy(), bare?.destroy()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is not offered by a server without the model', async () => {
    const { context, page } = await openConsole(browser, bare);
    await page.goto(`${bare.url}/`);
    await page.click('summary:has-text("Options")');
    await page.waitForSelector('#opt-lang-note');
    expect(await page.locator('label:has-text("Detect the language")').count()).toBe(0);
    await context.close();
  }, 60_000);

  it('sends language_detection instead of a language, and shows the detected language with its confidence', async () => {
    const { context, page } = await openConsole(browser, server);
    await page.goto(`${server.url}/`);
    await page.click('summary:has-text("Options")');
    await page.check('label:has-text("Detect the language") input');
    expect(await page.isDisabled('#opt-lang')).toBe(true);
    await page.setInputFiles('[data-testid=file-input]', librivoxClip('0870'));
    type List = { transcripts: { id: string }[] };
    let id = '';
    await expect
      .poll(
        async () => {
          id = ((await (await api(server, '/v2/transcript?limit=1')).json()) as List).transcripts[0]?.id ?? '';
          return id;
        },
        { timeout: 60_000 },
      )
      .not.toBe('');
    const sent = (await (await api(server, `/v2/transcript/${id}`)).json()) as Record<string, unknown>;
    expect([sent.language_detection, sent.language_code ?? null]).toEqual([true, null]);
    await page.goto(`${server.url}/#/t/${id}`);
    await expect.poll(() => page.textContent('[data-testid=language]'), { timeout: 180_000 }).toMatch(/^en_us \(detected, \d{1,3}%\)$/);
    await shoot(page, 'language-detected');
    expect(problemsOf(page)).toEqual([]);
    await context.close();
  }, 240_000);
});
