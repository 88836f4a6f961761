import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../src/chromium.js';
import { DESKTOP, openConsole, PHONE, problemsOf, shoot, type OpenOptions } from '../helpers/console.js';
import { api, startServer, type TestServer } from '../helpers/server.js';
import { librivoxClips } from '../helpers/librivox.js';

const clips = librivoxClips();
/** "and mister john dashwood had then leisure to consider how much there might be prudently in his power to do for them" */
const clip = clips[0]!;

/** Words of `reference` that also appear in `text`: a loose check that the right speech was recognised. */
const shared = (text: string, reference: string) => {
  const heard = new Set(text.toLowerCase().match(/[a-z']+/g) ?? []);
  return reference.split(' ').filter((w) => heard.has(w)).length;
};

describe('web console in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let tmp: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-console-'));
    // The fake microphone plays speech and then 3 s of silence, once, so the turn ends.
    const mic = path.join(tmp, 'mic.wav');
    execFileSync('ffmpeg', [
      '-loglevel',
      'error',
      '-i',
      clips[4]!.wav,
      '-af',
      'apad=pad_dur=3',
      '-ar',
      '48000',
      '-ac',
      '1',
      '-c:a',
      'pcm_s16le',
      mic,
    ]);
    [server, browser] = await Promise.all([
      startServer(),
      launchChromium([
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${mic}%noloop`,
      ]),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const open = (opts: OpenOptions = {}) => openConsole(browser, server, opts);

  let transcriptId = '';

  it('refuses a bad key with a clear message, then signs in and remembers the key', async () => {
    const { context, page } = await open({ signedIn: false });
    await page.goto(`${server.url}/`);
    await page.fill('#key', 'not-a-key');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('[role=alert]')).toContain('The server refused this API key');
    await shoot(page, 'login-bad-key-light');
    await page.fill('#key', server.key);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=New transcript');
    expect(await page.evaluate(() => localStorage.getItem('earshot.key'))).toBe(server.key);
    await page.reload();
    await page.waitForSelector('text=New transcript');
    expect(problemsOf(page)).toEqual([]);
    await context.close();

    // A remembered key that stopped working: every view says so, with a way out.
    const stale = await browser.newContext({ viewport: DESKTOP });
    await stale.addInitScript(() => localStorage.setItem('earshot.key', '0'.repeat(32)));
    const again = await stale.newPage();
    await again.goto(`${server.url}/`);
    await expect.poll(() => again.textContent('.banner')).toContain('The server refused the API key');
    await again.click('.banner button:has-text("Use another key")');
    await again.waitForSelector('#key');
    await stale.close();
  });

  it('uploads a LibriVox clip, follows it to completed, and reads it next to its audio', async () => {
    const { context, page } = await open();
    await page.goto(`${server.url}/`);
    // Two files at once; each gets its own row.
    await page.setInputFiles('[data-testid=file-input]', [clip.wav, clips[1]!.wav]);
    await expect.poll(() => page.locator('.job').count()).toBe(2);
    await expect.poll(() => page.locator('.job[data-phase=completed]').count(), { timeout: 90_000 }).toBe(2);
    const link = await page.getAttribute(`.job:has-text("${path.basename(clip.wav)}") a`, 'href');
    transcriptId = decodeURIComponent(link!.split('/').pop()!);
    const apiT = (await (await api(server, `/v2/transcript/${transcriptId}`)).json()) as {
      text: string;
      words: { start: number; text: string }[];
    };
    expect(shared(apiT.text, clip.reference)).toBeGreaterThan(10);
    // The list shows it with the file's name.
    await page.waitForSelector(`.item a[href="#/t/${transcriptId}"]`);
    expect(await page.textContent(`.item a[href="#/t/${transcriptId}"]`)).toBe(path.basename(clip.wav));

    // Search across transcript text finds it by a word the other clip lacks.
    const word = apiT.text.split(' ').find((w) => w.length > 4 && !clips[1]!.reference.includes(w.toLowerCase()))!;
    await page.fill('#f-text', word);
    await page.press('#f-text', 'Enter');
    await expect.poll(() => page.locator('.item').count()).toBe(1);
    expect((await page.textContent('.item .snippet'))!.toLowerCase()).toContain(word.toLowerCase());

    await page.click(`.job:has-text("${path.basename(clip.wav)}") a`);
    await page.waitForSelector('.w');
    const shown = (await page.innerText('[data-testid=transcript-text] p', { timeout: 5000 })).replace(/\s+/g, ' ').trim();
    expect(shown).toBe(apiT.text);

    // The waveform is drawn from the server's peaks: many columns of the canvas are painted.
    await page.waitForFunction(() => {
      const c = document.querySelector<HTMLCanvasElement>('canvas.wave')!;
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) painted++;
      return painted > (c.width * c.height) / 10;
    });

    // Click a word: the player seeks to it.
    await page.waitForFunction(() => document.querySelector('audio')!.readyState >= 1);
    const target = apiT.words[8]!;
    await page.click('.w[data-i="8"]');
    await expect.poll(() => page.evaluate(() => document.querySelector('audio')!.currentTime)).toBeCloseTo(target.start / 1000, 1);
    expect(await page.getAttribute('.w[data-i="8"]', 'class')).toContain('cur');
    // The paragraph's time button (keyboard reachable) seeks too.
    await page.focus('.ts');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.querySelector('audio')!.currentTime)).toBeCloseTo(apiT.words[0]!.start / 1000, 1);
    // The timeline is a keyboard slider.
    await page.focus('canvas.wave');
    await page.keyboard.press('End');
    const duration = await page.evaluate(() => document.querySelector('audio')!.duration);
    await expect.poll(() => page.evaluate(() => document.querySelector('audio')!.currentTime)).toBeCloseTo(duration, 0);
    await page.keyboard.press('Home');
    await expect.poll(() => page.evaluate(() => document.querySelector('audio')!.currentTime)).toBe(0);
    // Playing (space on the timeline) moves the highlight along with the audio.
    await page.keyboard.press(' ');
    await page.waitForFunction(() => document.querySelector('audio')!.currentTime > 2, undefined, { timeout: 10_000 });
    await page.keyboard.press(' ');
    const playedTo = await page.evaluate(() => document.querySelector('audio')!.currentTime * 1000);
    const highlighted = Number(await page.getAttribute('.w.cur', 'data-i'));
    expect(highlighted).toBeGreaterThan(0);
    expect(apiT.words[highlighted]!.start).toBeLessThanOrEqual(playedTo);
    expect(apiT.words[highlighted + 1]?.start ?? Infinity).toBeGreaterThan(playedTo - 100);

    // Find: whole words, in the text and on the timeline.
    const bare = (w: { text: string }) => w.text.toLowerCase().replace(/[^a-z']/g, '');
    const sought = bare(apiT.words[3]!);
    await page.fill('#find', sought);
    const expected = apiT.words.filter((w) => bare(w) === sought).length;
    await expect.poll(() => page.locator('.w.hit').count()).toBe(expected);
    expect(await page.textContent('.find [role=status]')).toBe(`1 of ${expected}`);
    // Enter goes to the first hit; the player stays where playing stopped.
    const before = await page.evaluate(() => document.querySelector('audio')!.currentTime);
    await page.press('#find', 'Enter');
    const firstHit = apiT.words.findIndex((w) => bare(w) === sought);
    expect(await page.getAttribute('.w.hit-active', 'data-i')).toBe(String(firstHit));
    expect(await page.evaluate(() => document.querySelector('audio')!.currentTime)).toBe(before);

    // SRT export is the API's SRT, byte for byte.
    const [srt] = await Promise.all([page.waitForEvent('download'), page.click('button:text-is("SRT")')]);
    expect(srt.suggestedFilename()).toMatch(/\.srt$/);
    const saved = fs.readFileSync((await srt.path())!, 'utf8');
    expect(saved).toBe(await (await api(server, `/v2/transcript/${transcriptId}/srt`)).text());
    expect(saved).toMatch(/^1\n00:00:\d\d,\d{3} --> /);

    // The code snippet fetches the same transcript from this server.
    expect(await page.textContent('[data-testid=snippet]')).toContain(`${server.url}/v2/transcript/${transcriptId}`);
    await page.fill('#find', '');
    await shoot(page, 'transcript-light');
    expect(problemsOf(page)).toEqual([]);
    await context.close();
  });

  it("shows a failed transcript with the server's reason", async () => {
    const { context, page } = await open();
    await page.goto(`${server.url}/`);
    await page.setInputFiles('[data-testid=file-input]', {
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('these are not sounds\n'.repeat(50)),
    });
    await page.waitForSelector('.job[data-phase=error]', { timeout: 60_000 });
    expect(await page.textContent('.job[data-phase=error] p.error')).toContain('File does not appear to contain audio');
    const list = (await (await api(server, '/v2/transcript?status=error&limit=1')).json()) as { transcripts: { id: string }[] };
    await page.goto(`${server.url}/#/t/${list.transcripts[0]!.id}`);
    await expect.poll(() => page.textContent('.failed')).toContain('File does not appear to contain audio');
    await shoot(page, 'transcript-failed-light');
    await context.close();
  });

  it('transcribes a pasted URL and plays it from there; deletes from the list', async () => {
    // A plain file server standing in for "somewhere on the web" (a private server may fetch from
    // localhost), which also takes the webhook.
    const hooks: string[] = [];
    const files = http.createServer((req, res) => {
      if (req.method === 'POST') {
        req.on('data', (d: Buffer) => hooks.push(d.toString()));
        req.on('end', () => res.writeHead(204).end());
        return;
      }
      res.writeHead(200, { 'content-type': 'audio/wav' });
      res.end(fs.readFileSync(clips[2]!.wav));
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    const audioUrl = `http://127.0.0.1:${(files.address() as net.AddressInfo).port}/unless.wav`;
    const { context, page } = await open();
    try {
      await page.goto(`${server.url}/`);
      await page.fill('#audio-url', audioUrl);
      await page.click('summary:has-text("Options")');
      await page.fill('#opt-webhook', audioUrl.replace('unless.wav', 'hook'));
      await page.click('button:has-text("Transcribe URL")');
      await page.waitForSelector('.job[data-phase=completed]', { timeout: 60_000 });
      await page.click('.job a');
      await page.waitForSelector('.w');
      expect(await page.getAttribute('audio', 'src')).toBe(audioUrl);
      await page.waitForFunction(() => document.querySelector('audio')!.readyState >= 1);
      // Earshot keeps no copy of downloaded audio, but its peaks were computed while it was on disk.
      const id = decodeURIComponent(page.url().split('/').pop()!);
      expect((await api(server, `/v2/transcript/${id}/peaks`)).status).toBe(200);
      expect(await page.$('text=No waveform')).toBeNull();
      // Its webhook deliveries, as the server recorded them.
      await expect.poll(() => hooks.length, { timeout: 20_000 }).toBeGreaterThan(0);
      await page.click('section:has(#hooks-h) button:has-text("Refresh")');
      await expect.poll(() => page.textContent('#hooks-h ~ table td.ok')).toBe('204');

      await page.click('a:has-text("← Transcripts")');
      const row = page.locator('.item', { hasText: 'unless.wav' });
      await row.locator('button:has-text("Delete")').click();
      await row.locator('button:has-text("Delete for good")').click();
      await expect.poll(() => row.count()).toBe(0);
      const deleted = (await (await api(server, '/v2/transcript?limit=50')).json()) as { transcripts: { audio_url: string }[] };
      expect(deleted.transcripts.some((t) => t.audio_url === audioUrl)).toBe(false);
    } finally {
      await context.close();
      files.close();
    }
  });

  it('asks LeMUR, or says how to configure it', async () => {
    const { context, page } = await open();
    await page.goto(`${server.url}/#/lemur?ids=${transcriptId}`);
    await page.fill('#lemur-text', 'Who is mentioned?');
    await page.click('button:has-text("Ask")');
    // This test server has no language model: the console must say so and how to fix it.
    await page.waitForSelector('.failed, #answer-h', { timeout: 60_000 });
    expect(await page.$('#answer-h')).toBeNull();
    expect(await page.textContent('.failed')).toContain('LeMUR needs a language model');
    await shoot(page, 'lemur-answer-light');
    await context.close();
  });

  it('streams from the microphone: partial words while speaking, then the final turn', async () => {
    const { context, page } = await open();
    await page.goto(`${server.url}/#/stream`);
    await page.click('button:has-text("Start")');
    await page.waitForSelector('[data-testid=partial]', { timeout: 20_000 });
    const partial = await page.textContent('[data-testid=partial]');
    expect(partial!.length).toBeGreaterThan(0);
    await page.waitForSelector('.live .final', { timeout: 30_000 });
    const final = await page.innerText('[data-testid=live-text]');
    expect(shared(final, clips[4]!.reference)).toBeGreaterThanOrEqual(3);
    await shoot(page, 'live-light');
    await page.click('button:has-text("Stop")');
    await expect.poll(() => page.textContent('[data-testid=stream-state]')).toBe('Stopped');
    expect(problemsOf(page)).toEqual([]);
    await context.close();
  });

  it('renders every main screen in both themes and at phone width', async () => {
    const screens: [string, string][] = [
      ['transcripts', '#/'],
      ['transcript', `#/t/${transcriptId}`],
      ['live', '#/stream'],
      ['lemur', `#/lemur?ids=${transcriptId}`],
      ['keys', '#/keys'],
    ];
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const [size, viewport] of [
        ['desktop', DESKTOP],
        ['phone', PHONE],
      ] as const) {
        const signedOut = await open({ colorScheme, viewport, signedIn: false });
        await signedOut.page.goto(`${server.url}/`);
        await signedOut.page.waitForSelector('#key');
        await shoot(signedOut.page, `login-${colorScheme}-${size}`);
        await signedOut.context.close();
        const { context, page } = await open({ colorScheme, viewport });
        for (const [name, hash] of screens) {
          await page.goto(`${server.url}/${hash}`);
          await page.waitForSelector('main h1');
          if (name === 'transcript') await page.waitForSelector('.w');
          if (name === 'keys') await page.waitForSelector('table');
          await page.waitForLoadState('networkidle');
          // Nothing may stick out sideways on a phone.
          expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth + 1), `${name} fits ${size}`).toBe(true);
          await shoot(page, `${name}-${colorScheme}-${size}`);
        }
        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        expect(bg).toBe(colorScheme === 'dark' ? 'rgb(17, 20, 24)' : 'rgb(246, 247, 249)');
        expect(problemsOf(page)).toEqual([]);
        await context.close();
      }
    }
    // The theme button overrides the system's choice.
    const { context, page } = await open({ colorScheme: 'light' });
    await page.goto(`${server.url}/`);
    await page.click('button[aria-label^="Theme"]'); // auto → light
    await page.click('button[aria-label^="Theme"]'); // light → dark
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(17, 20, 24)');
    await context.close();
  });

  it('creates and revokes a key from the keys page', async () => {
    const { context, page } = await open();
    await page.goto(`${server.url}/#/keys`);
    await page.fill('#key-name', 'from-console');
    await page.click('button:has-text("Create key")');
    const key = (await page.textContent('.secret'))!;
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect((await api(server, '/v2/transcript?limit=1', { headers: { authorization: key } })).status).toBe(200);
    await page.click('button[aria-label="Revoke from-console"]');
    await page.click('button:has-text("Revoke for good")');
    await page.waitForSelector('td:has-text("revoked")');
    await context.close();
  });

  it('schedules maintenance and posts an incident from the Incidents page, and /status shows both', async () => {
    const { context, page } = await open();
    await page.goto(`${server.url}/#/status`);
    await page.fill('#m-name', 'Disk swap');
    await page.fill('#m-message', 'New disks for the upload store.');
    await page.click('#maintenance-form button[type=submit]');
    await expect.poll(() => page.textContent('[role=status]')).toContain('Maintenance "Disk swap" is on the status page.');
    await page.fill('#i-name', 'Slow uploads');
    await page.fill('#i-message', 'Uploads over 1 GB are slow; looking into it.');
    await page.selectOption('#i-impact', 'major');
    await page.click('#incident-form button[type=submit]');
    await expect.poll(() => page.textContent('[role=status]')).toContain('Incident "Slow uploads" is on the status page.');
    await expect.poll(() => page.textContent('#open-items')).toMatch(/Slow uploads.*Disk swap/s);
    await shoot(page, 'status-admin-light');
    const html = await (await fetch(`${server.url}/status`)).text();
    expect(html).toContain('Slow uploads');
    expect(html).toContain('Disk swap');
    expect(html).toContain('imp-major');
    await context.close();
  });

  it('says so clearly when the server is down', async () => {
    const { context, page } = await open();
    await page.goto(`${server.url}/`);
    await page.waitForSelector('text=New transcript');
    await server.stop();
    await page.click('a:has-text("API keys")');
    await expect.poll(() => page.textContent('.banner')).toContain('Cannot reach the Earshot server');
    await shoot(page, 'server-down-light');
    await context.close();
  });
});
