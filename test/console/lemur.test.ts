import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../src/chromium.js';
import { openConsole, problemsOf, shoot } from '../helpers/console.js';
import { librivoxClips } from '../helpers/librivox.js';
import { completedTranscript, tinyLlmEnv } from '../helpers/llm.js';
import { api, startServer, type TestServer } from '../helpers/server.js';

/** The console's LeMUR page on a server with a model (the tiny random-weight one): a task's answer streams in. */
describe('console LeMUR with a language model', () => {
  let server: TestServer;
  let browser: Browser;
  let id: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ env: { ...tinyLlmEnv(4096), EARSHOT_LLM_RATE_LIMIT: '0' } }), launchChromium()]);
    id = (await completedTranscript(server, librivoxClips()[1]!.wav, 240_000)).id as string;
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.destroy();
  });

  it("shows a task's answer while it is written, then the whole answer, as the API gives it", async () => {
    const { context, page } = await openConsole(browser, server);
    const accepts: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/lemur/v3/generate/task')) accepts.push(r.headers().accept ?? '');
    });
    await page.goto(`${server.url}/#/lemur?ids=${id}`);
    await page.check('input[name=mode] >> nth=1');
    await page.fill('#lemur-text', 'Say something.');
    await page.click('button:has-text("Ask")');
    // The random-weight model writes up to LeMUR's default 2000 tokens (a 4096-token context holds them): long enough
    // to be seen half-written.
    await page.waitForSelector('[data-testid=answer-partial]', { timeout: 120_000 });
    await page.waitForSelector('#answer-h:text-is("Answer")', { timeout: 240_000 });
    expect(accepts).toEqual(['text/event-stream']);
    const shown = (await page.textContent('.answer'))!;
    const plain = (await (
      await api(server, '/lemur/v3/generate/task', { method: 'POST', json: { transcript_ids: [id], prompt: 'Say something.' } })
    ).json()) as { response: string };
    expect(shown).toBe(plain.response);
    await shoot(page, 'lemur-streamed-answer');
    expect(problemsOf(page)).toEqual([]);
    await context.close();
  }, 400_000);
});
