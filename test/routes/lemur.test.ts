import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AssemblyAI } from 'assemblyai-lemur';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../src/lemur/embedded.js';
import { contextText, directMessages, joinLines, taskAsk, transcriptLines } from '../../src/lemur/prompt.js';
import { createLogger } from '../../src/log.js';
import type { TranscriptWord } from '../../src/transcript/types.js';
import { librivoxClips } from '../helpers/librivox.js';
import { completedTranscript, TINY_MODEL, TINY_MODEL_NAME, tinyLlmEnv } from '../helpers/llm.js';
import { validateSchema } from '../helpers/openapi.js';
import { api, startServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const LEMUR_SPEC = 'openapi-2025-01-full-with-lemur-and-realtime-token.yml' as const;
const CONTEXT = 1024;

async function curl(args: string[]): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { stdout } = await run('curl', ['-sS', '-i', ...args]);
  const [head, ...rest] = stdout.split('\r\n\r\n');
  const lines = head!.split('\r\n');
  const headers = Object.fromEntries(
    lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status: Number(lines[0]!.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

/** A long meeting as `input_text`: more than the test server's 1024-token context. */
const LONG_MEETING = Array.from(
  { length: 150 },
  (_, i) => `Speaker ${'AB'[i % 2]}: item ${i} is due on day ${i % 30}, and ${i % 7} people work on it.`,
).join('\n');

describe('LeMUR through the 4.36.7 SDK and curl, on the embedded model', () => {
  let server: TestServer;
  let client: AssemblyAI;
  let transcripts: Record<string, unknown>[];
  let counter: EmbeddedBackend;

  beforeAll(async () => {
    server = await startServer({ env: tinyLlmEnv(CONTEXT) });
    client = new AssemblyAI({ apiKey: server.key, baseUrl: server.url });
    const clips = librivoxClips();
    transcripts = [await completedTranscript(server, clips[0]!.wav), await completedTranscript(server, clips[1]!.wav)];
    // The same model in this process, to count prompts independently of the server.
    counter = new EmbeddedBackend({
      modelPath: TINY_MODEL,
      name: TINY_MODEL_NAME,
      contextTokens: CONTEXT,
      threads: 1,
      timeoutMs: 600_000,
      log: createLogger('silent'),
    });
  });
  afterAll(async () => {
    if (process.env.EARSHOT_TEST_SHOW_OUTPUT) console.log(server?.output());
    await counter?.close();
    await server?.destroy();
  });

  const ids = () => transcripts.map((t) => t.id as string);

  it('runs a task on transcripts, counting the prompt it built from their words', async () => {
    const context = { meeting: 'reading group' };
    const res = await client.lemur.task({
      transcript_ids: ids(),
      prompt: 'What was read?',
      context,
      final_model: 'anthropic/claude-3-5-sonnet',
      max_output_size: 24,
    });
    validateSchema('LemurTaskResponse', res, LEMUR_SPEC);
    expect(res.usage.output_tokens).toBeGreaterThan(0);
    expect(res.usage.output_tokens).toBeLessThanOrEqual(24);
    const source = transcriptLines(
      transcripts.map((t) => ({
        id: t.id as string,
        text: t.text as string,
        words: t.words as TranscriptWord[],
        audioDuration: t.audio_duration as number,
      })),
    );
    const prompt = directMessages(joinLines(source), contextText(context), taskAsk('What was read?').instruction);
    expect(prompt[1]!.content).toContain(`Transcript ${ids()[1]} (`);
    expect(res.usage.input_tokens).toBe(await counter.countPromptTokens(TINY_MODEL_NAME, prompt));
  });

  it('summarizes, lists action items and answers questions in upstream shapes', async () => {
    const summary = await client.lemur.summary({ transcript_ids: ids(), answer_format: 'TLDR', max_output_size: 16 });
    validateSchema('LemurSummaryResponse', summary, LEMUR_SPEC);
    const items = await client.lemur.actionItems({ transcript_ids: ids(), max_output_size: 16 });
    validateSchema('LemurActionItemsResponse', items, LEMUR_SPEC);
    const qa = await client.lemur.questionAnswer({
      transcript_ids: ids(),
      max_output_size: 24,
      questions: [
        { question: 'Is this a meeting?', answer_options: ['Yes', 'No'] },
        { question: 'Who speaks?', answer_format: 'one name', context: 'an audiobook' },
      ],
    });
    validateSchema('LemurQuestionAnswerResponse', qa, LEMUR_SPEC);
    expect(qa.response.map((r) => r.question)).toEqual(['Is this a meeting?', 'Who speaks?']);
    expect(['Yes', 'No']).toContain(qa.response[0]!.answer);
    expect(qa.usage.input_tokens).toBeGreaterThan(summary.usage.input_tokens);
  });

  it('gets an earlier response back, and purges it', async () => {
    const res = await client.lemur.task({ transcript_ids: [ids()[0]!], prompt: 'One word?', max_output_size: 8 });
    const again = await client.lemur.getResponse(res.request_id);
    validateSchema('LemurResponse', again, LEMUR_SPEC);
    expect(again).toEqual(res);
    const purged = await client.lemur.purgeRequestData(res.request_id);
    validateSchema('PurgeLemurRequestDataResponse', purged, LEMUR_SPEC);
    expect(purged).toMatchObject({ request_id_to_purge: res.request_id, deleted: true });
    expect(purged.request_id).not.toBe(res.request_id);
    await expect(client.lemur.getResponse(res.request_id)).rejects.toThrow(`LeMUR request not found: ${res.request_id}`);
    await expect(client.lemur.purgeRequestData(res.request_id)).rejects.toThrow(`LeMUR request not found: ${res.request_id}`);
  });

  it("takes the Python SDK's sources with curl, with rate-limit headers, deterministically at temperature 0", async () => {
    const body = JSON.stringify({
      sources: [{ id: ids()[0], type: 'transcript' }],
      prompt: 'Say something.',
      max_output_size: 12,
      temperature: 0,
    });
    const call = () => curl(['-X', 'POST', `${server.url}/lemur/v3/generate/task`, '-H', `authorization: ${server.key}`, '-d', body]);
    const first = await call();
    const second = await call();
    expect(first.status).toBe(200);
    const a = JSON.parse(first.body);
    validateSchema('LemurTaskResponse', a, LEMUR_SPEC);
    expect(JSON.parse(second.body).response).toBe(a.response);
    expect(first.headers['x-ratelimit-limit']).toBe('60');
    expect(Number(second.headers['x-ratelimit-remaining'])).toBe(Number(first.headers['x-ratelimit-remaining']) - 1);
    expect(Number(first.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
    expect(Number(first.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(60);

    const got = await curl([`${server.url}/lemur/v3/${a.request_id}`, '-H', `authorization: ${server.key}`]);
    expect(JSON.parse(got.body)).toEqual(a);
  });

  it('reads input longer than the context in parts for a summary, and says so', async () => {
    const res = await api(server, '/lemur/v3/generate/summary', {
      method: 'POST',
      json: { input_text: LONG_MEETING, max_output_size: 16 },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { map_reduce: { parts: number; note: string } };
    expect(body.map_reduce.parts).toBeGreaterThan(1);
    expect(body.map_reduce.note).toBe(
      `The input was longer than the ${CONTEXT}-token context of ${TINY_MODEL_NAME}, so it was read in ${body.map_reduce.parts} parts and the answer was made from notes on each part.`,
    );
    // The extension aside, the body is upstream's.
    const { map_reduce: _extension, ...upstream } = body;
    validateSchema('LemurSummaryResponse', upstream, LEMUR_SPEC);

    const task = await api(server, '/lemur/v3/generate/task', {
      method: 'POST',
      json: { input_text: LONG_MEETING, prompt: 'What is due?', max_output_size: 16 },
    });
    expect(task.status).toBe(400);
    const { error } = (await task.json()) as { error: string };
    const m =
      /^The input is (\d+) tokens and max_output_size is 16: (\d+) tokens more than the 1024-token context of model llama-2-tiny-random\./.exec(
        error,
      );
    expect(m, error).not.toBeNull();
    expect(Number(m![2])).toBe(Number(m![1]) + 16 - CONTEXT);
  });

  it('answers `earshot ask` on the terminal', async () => {
    const ok = await server.cli(['ask', ids()[0]!, 'What did they decide?', '--max-output-size', '12']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).not.toBe('');
    expect(ok.stderr).toMatch(/^LeMUR request [0-9a-f-]{36}: \d+ input tokens, \d+ output tokens\n$/);

    const json = await server.cli([
      'ask',
      ids().join(','),
      'Yes or no?',
      '--answer-options',
      'Yes,No',
      '--max-output-size',
      '24',
      '--json',
    ]);
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout);
    validateSchema('LemurQuestionAnswerResponse', parsed, LEMUR_SPEC);
    expect(['Yes', 'No']).toContain(parsed.response[0].answer);

    const missing = '00000000-0000-4000-8000-000000000000';
    const bad = await server.cli(['ask', missing, 'Anything?']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`earshot: 400: Transcript lookup error, transcript id not found: ${missing}\n`);

    const down = await server.cli(['ask', missing, 'Anything?', '--server', 'http://127.0.0.1:9']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^earshot: cannot reach Earshot at http:\/\/127\.0\.0\.1:9 \(.+\); is `earshot serve` running\?/);
  });
});
