import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyLlmEnv } from '../helpers/llm.js';
import { api, startServer, type TestServer } from '../helpers/server.js';

type Event = { event: string; data: Record<string, unknown> };

/** The events of a text/event-stream body. */
function events(body: string): Event[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      const data = JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice(6)) as Record<string, unknown>;
      return { event, data };
    });
}

/** Earshot's LeMUR streaming extension (`Accept: text/event-stream`), on the tiny random-weight model. */
describe('LeMUR answers streamed as server-sent events', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { ...tinyLlmEnv(), EARSHOT_LLM_RATE_LIMIT: '0' } });
  }, 120_000);
  afterAll(async () => server?.destroy());

  const task = { input_text: 'We met on Monday and chose Friday for the launch.', prompt: 'When is the launch?', max_output_size: 16 };
  const post = (path: string, json: unknown, accept?: string) =>
    api(server, path, { method: 'POST', json, headers: accept ? { accept } : {} });

  it('sends the answer as text events, then the whole response, which is what the plain request answers', async () => {
    const res = await post('/lemur/v3/generate/task', task, 'text/event-stream');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const all = events(await res.text());
    const texts = all.filter((e) => e.event === 'text');
    expect(texts.length).toBeGreaterThan(1);
    expect(all.at(-1)!.event).toBe('done');
    const done = all.at(-1)!.data as { request_id: string; response: string; usage: { output_tokens: number } };
    expect(
      texts
        .map((e) => e.data.text)
        .join('')
        .trim(),
    ).toBe(done.response);
    expect(done.usage.output_tokens).toBe(16);
    // Stored as any answer is, and the same as the plain request's (temperature 0).
    expect(((await (await api(server, `/lemur/v3/${done.request_id}`)).json()) as { response: string }).response).toBe(done.response);
    const plain = (await (await post('/lemur/v3/generate/task', task)).json()) as { response: string };
    expect(plain.response).toBe(done.response);
  }, 120_000);

  it('answers a bad request with its plain 400, and question-answer as JSON, even when asked for a stream', async () => {
    const bad = await post('/lemur/v3/generate/task', { ...task, prompt: undefined }, 'text/event-stream');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^application\/json/);
    const qa = await post(
      '/lemur/v3/generate/question-answer',
      { input_text: task.input_text, questions: [{ question: 'When?' }], max_output_size: 8 },
      'text/event-stream',
    );
    expect(qa.status).toBe(200);
    expect(((await qa.json()) as { response: unknown[] }).response).toHaveLength(1);
  }, 120_000);
});
