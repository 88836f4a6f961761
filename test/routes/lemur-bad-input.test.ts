import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../src/lemur/embedded.js';
import { directMessages, inputTextLines, joinLines } from '../../src/lemur/prompt.js';
import { UPSTREAM_LEMUR_MODELS } from '../../src/lemur/service.js';
import { createLogger } from '../../src/log.js';
import { librivoxClips } from '../helpers/librivox.js';
import { completedTranscript, TINY_MODEL, TINY_MODEL_NAME, tinyLlmEnv } from '../helpers/llm.js';
import { validateSchema } from '../helpers/openapi.js';
import { api, freePort, startServer, waitForTranscript, type TestServer } from '../helpers/server.js';

/**
 * Requests LeMUR and the LLM Gateway cannot answer, against real servers: each gets its exact status
 * and body (`{"error": "..."}` for LeMUR, `{"error": {"code", "message"}}` for the gateway).
 */

const CONTEXT = 1024;
const UNKNOWN = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const OVER_CONTEXT = Array.from({ length: 120 }, (_, i) => `Line ${i}: the quick brown fox jumps over the lazy dog.`).join('\n');
const HOW_TO =
  'Install a model for the embedded llama.cpp backend with `earshot models pull qwen2.5-1.5b-instruct` (then restart; EARSHOT_LLM_MODEL picks the catalogue model or a .gguf file), ' +
  'or use an OpenAI-compatible server by setting EARSHOT_LLM_URL, e.g. EARSHOT_LLM_URL=http://127.0.0.1:11434/v1 EARSHOT_LLM_REMOTE_MODELS=llama3.2 for Ollama.';
const NO_BACKEND = `No LLM is configured on this Earshot server: the model "qwen2.5-1.5b-instruct" (EARSHOT_LLM_MODEL) is not installed. ${HOW_TO}`;

/** Ids and numbers made by the setup, read by the table when each case runs. */
interface State {
  completed: string;
  processing: string;
  failed: string;
  deleted: string;
  otherProject: string;
  /** A key of that other project. */
  otherKey: string;
  overContextTokens: number;
  /** The prompt of the gateway's `[{role: "user", content: "hi"}]`. */
  hiTokens: number;
}

interface Case {
  name: string;
  method?: string;
  path?: string;
  /** Sent as JSON; a function derives it from the state. */
  json?: unknown | ((s: State) => unknown);
  /** Sent verbatim instead. */
  raw?: string;
  /** The server's key when omitted; none when null. */
  key?: string | null;
  status: number;
  error: string | ((s: State) => string);
}

const task = (body: Record<string, unknown> | ((s: State) => Record<string, unknown>)): Pick<Case, 'method' | 'path' | 'json'> => ({
  method: 'POST',
  path: '/lemur/v3/generate/task',
  json: (s: State) => ({ prompt: 'What was decided?', max_output_size: 8, ...(typeof body === 'function' ? body(s) : body) }),
});
const lemur = (kind: string, body: unknown): Pick<Case, 'method' | 'path' | 'json'> => ({
  method: 'POST',
  path: `/lemur/v3/generate/${kind}`,
  json: body,
});
const notReady = (id: string, status: string) =>
  `Transcript ${id} is not completed (status: ${status}); LeMUR can only use completed transcripts`;
const notFound = (id: string) => `Transcript lookup error, transcript id not found: ${id}`;

const LEMUR_CASES: Case[] = [
  // Which transcripts
  {
    name: 'unfinished transcript',
    ...task((s) => ({ transcript_ids: [s.processing] })),
    status: 400,
    error: (s) => notReady(s.processing, 'processing'),
  },
  { name: 'failed transcript', ...task((s) => ({ transcript_ids: [s.failed] })), status: 400, error: (s) => notReady(s.failed, 'error') },
  {
    name: 'deleted transcript',
    ...task((s) => ({ transcript_ids: [s.deleted] })),
    status: 400,
    error: (s) => notReady(s.deleted, 'deleted'),
  },
  { name: 'unknown transcript', ...task({ transcript_ids: [UNKNOWN] }), status: 400, error: notFound(UNKNOWN) },
  { name: 'not an id', ...task({ transcript_ids: ['abc'] }), status: 400, error: notFound('abc') },
  {
    name: "another project's transcript",
    ...task((s) => ({ transcript_ids: [s.otherProject] })),
    status: 400,
    error: (s) => notFound(s.otherProject),
  },
  { name: 'one good, one unknown', ...task((s) => ({ transcript_ids: [s.completed, UNKNOWN] })), status: 400, error: notFound(UNKNOWN) },
  {
    name: 'sources naming an unfinished transcript',
    ...task((s) => ({ sources: [{ id: s.processing, type: 'transcript' }] })),
    status: 400,
    error: (s) => notReady(s.processing, 'processing'),
  },
  {
    name: 'empty transcript_ids',
    ...task({ transcript_ids: [] }),
    status: 400,
    error: 'transcript_ids is empty: give at least one transcript id, or use input_text',
  },
  {
    name: 'empty sources',
    ...task({ sources: [] }),
    status: 400,
    error: 'sources is empty: give at least one transcript id, or use input_text',
  },
  {
    name: 'transcript_ids not a list',
    ...task({ transcript_ids: UNKNOWN }),
    status: 400,
    error: 'transcript_ids must be an array of transcript ids (strings)',
  },
  {
    name: 'sources of another type',
    ...task({ sources: [{ id: UNKNOWN, type: 'audio' }] }),
    status: 400,
    error: 'sources must be an array of {"id": "<transcript id>", "type": "transcript"}',
  },
  {
    name: 'both ids and input_text',
    ...task((s) => ({ transcript_ids: [s.completed], input_text: 'hello' })),
    status: 400,
    error: 'Use either transcript_ids or input_text, not both',
  },
  {
    name: 'both ids and sources',
    ...task((s) => ({ transcript_ids: [s.completed], sources: [{ id: s.completed }] })),
    status: 400,
    error: 'Use either transcript_ids or sources, not both',
  },
  { name: 'no input', ...task({}), status: 400, error: 'Either transcript_ids or input_text is required' },
  { name: 'blank input_text', ...task({ input_text: '  \n' }), status: 400, error: 'input_text is empty' },
  {
    name: '101 transcripts',
    ...task({ transcript_ids: Array.from({ length: 101 }, (_, i) => UNKNOWN.replace(/....$/, String(i).padStart(4, '0'))) }),
    status: 400,
    error: 'transcript_ids may list at most 100 transcripts (got 101)',
  },
  // Size
  {
    name: 'over-context input for a task',
    ...task({ input_text: OVER_CONTEXT, max_output_size: 16 }),
    status: 400,
    error: (s) =>
      `The input is ${s.overContextTokens} tokens and max_output_size is 16: ${s.overContextTokens + 16 - CONTEXT} tokens more than the ${CONTEXT}-token context of model ${TINY_MODEL_NAME}. ` +
      'Shorten the input (fewer transcript_ids, shorter input_text, prompt or context) or lower max_output_size, use summary, question-answer or action-items (they split long input into parts automatically), ' +
      'or configure a model with a larger context (EARSHOT_LLM_CONTEXT_TOKENS).',
  },
  {
    name: 'max_output_size as large as the context',
    ...task({ input_text: 'hi', max_output_size: CONTEXT }),
    status: 400,
    error: `max_output_size (${CONTEXT}) must be less than the ${CONTEXT}-token context of model ${TINY_MODEL_NAME}`,
  },
  {
    name: 'max_output_size 0',
    ...task({ input_text: 'hi', max_output_size: 0 }),
    status: 400,
    error: 'max_output_size must be a positive integer (tokens)',
  },
  {
    name: 'max_output_size 2.5',
    ...task({ input_text: 'hi', max_output_size: 2.5 }),
    status: 400,
    error: 'max_output_size must be a positive integer (tokens)',
  },
  // Parameters
  {
    name: 'temperature 1.5',
    ...task({ input_text: 'hi', temperature: 1.5 }),
    status: 400,
    error: 'temperature must be a number between 0 and 1',
  },
  {
    name: 'temperature -0.1',
    ...task({ input_text: 'hi', temperature: -0.1 }),
    status: 400,
    error: 'temperature must be a number between 0 and 1',
  },
  {
    name: 'temperature "hot"',
    ...task({ input_text: 'hi', temperature: 'hot' }),
    status: 400,
    error: 'temperature must be a number between 0 and 1',
  },
  {
    name: 'unknown final_model',
    ...task({ input_text: 'hi', final_model: 'openai/gpt-5' }),
    status: 400,
    error: `final_model "openai/gpt-5" is not available on this Earshot server. Available: ${TINY_MODEL_NAME} (default). These names also select the default model: ${UPSTREAM_LEMUR_MODELS.join(', ')}`,
  },
  { name: 'final_model not a string', ...task({ input_text: 'hi', final_model: 3 }), status: 400, error: 'final_model must be a string' },
  { name: 'context a number', ...task({ input_text: 'hi', context: 42 }), status: 400, error: 'context must be a string or a JSON object' },
  {
    name: 'task without prompt',
    ...lemur('task', { input_text: 'hi' }),
    status: 400,
    error: 'prompt is required: the instruction for the model',
  },
  {
    name: 'question-answer without questions',
    ...lemur('question-answer', { input_text: 'hi' }),
    status: 400,
    error: 'questions is required: a non-empty array of {"question": "..."}',
  },
  {
    name: 'question without text',
    ...lemur('question-answer', { input_text: 'hi', questions: [{ answer_format: 'short' }] }),
    status: 400,
    error: 'questions[0].question is required',
  },
  {
    name: 'answer_format with answer_options',
    ...lemur('question-answer', {
      input_text: 'hi',
      questions: [{ question: 'a?' }, { question: 'b?', answer_format: 'short', answer_options: ['x'] }],
    }),
    status: 400,
    error: 'questions[1]: use answer_format or answer_options, not both',
  },
  {
    name: 'summary answer_format not a string',
    ...lemur('summary', { input_text: 'hi', answer_format: ['TLDR'] }),
    status: 400,
    error: 'answer_format must be a string',
  },
  { name: 'body a list', ...lemur('action-items', [{ input_text: 'hi' }]), status: 400, error: 'Request body must be a JSON object' },
  {
    name: 'broken JSON',
    method: 'POST',
    path: '/lemur/v3/generate/summary',
    raw: '{"input_text": ',
    status: 400,
    error: `Invalid JSON body: ${jsonError('{"input_text": ')}`,
  },
  { name: 'no key', ...task({ input_text: 'hi' }), key: null, status: 401, error: 'Authentication error, API token missing/invalid' },
  // Earlier responses
  { name: 'get an unknown request', path: `/lemur/v3/${UNKNOWN}`, status: 404, error: `LeMUR request not found: ${UNKNOWN}` },
  { name: 'get a request by a non-id', path: '/lemur/v3/nonsense', status: 404, error: 'LeMUR request not found: nonsense' },
  {
    name: 'purge an unknown request',
    method: 'DELETE',
    path: `/lemur/v3/${UNKNOWN}`,
    status: 404,
    error: `LeMUR request not found: ${UNKNOWN}`,
  },
  {
    name: 'unknown LeMUR endpoint',
    method: 'POST',
    path: '/lemur/v3/generate/poem',
    json: { input_text: 'hi' },
    status: 404,
    error: 'Not found',
  },
];

const chat = (body: Record<string, unknown>): Pick<Case, 'method' | 'path' | 'json'> => ({
  method: 'POST',
  path: '/v1/chat/completions',
  json: { model: 'default', max_tokens: 4, ...body },
});
const say = [{ role: 'user', content: 'hi' }];

/** The gateway's error body: OpenAI's nested `error`, and the top-level `message` the AssemblyAI SDK reads. */
const gatewayError = (code: number, message: string) => ({ error: { code, message }, message, request_id: expect.any(String) });

// Any model id is answered (EARSHOT_LLM_MODEL_ALIASES defaults to `*`), so an upstream id is not bad input here.
const GATEWAY_CASES: Case[] = [
  { name: 'no model', ...chat({ model: undefined, messages: say }), status: 400, error: 'model is required: the name of the model to use' },
  { name: 'no messages or prompt', ...chat({}), status: 400, error: 'messages or prompt is required' },
  {
    name: 'both messages and prompt',
    ...chat({ messages: say, prompt: 'hi' }),
    status: 400,
    error: 'Give either messages or prompt, not both',
  },
  { name: 'empty messages', ...chat({ messages: [] }), status: 400, error: 'messages must be a non-empty array of {"role", "content"}' },
  {
    name: 'unknown role',
    ...chat({ messages: [{ role: 'robot', content: 'hi' }] }),
    status: 400,
    error: 'messages[0].role must be one of: system, user, assistant',
  },
  {
    name: 'tool message',
    ...chat({ messages: [{ role: 'tool', content: '{}', tool_call_id: 'x' }] }),
    status: 400,
    error: 'messages[0]: tool messages are not supported by this Earshot server',
  },
  {
    name: 'image content',
    ...chat({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: 'x' }] }] }),
    status: 400,
    error: 'messages[0].content must be a string or an array of {"type": "text", "text": "..."} parts',
  },
  {
    name: 'tools',
    ...chat({ messages: say, tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }),
    status: 400,
    error: 'tools are not supported by this Earshot server',
  },
  {
    name: 'temperature 2.5',
    ...chat({ messages: say, temperature: 2.5 }),
    status: 400,
    error: 'temperature must be a number between 0 and 2',
  },
  { name: 'max_tokens 0', ...chat({ messages: say, max_tokens: 0 }), status: 400, error: 'max_tokens must be a positive integer' },
  { name: 'stream "yes"', ...chat({ messages: say, stream: 'yes' }), status: 400, error: 'stream must be a boolean' },
  {
    name: 'json_object format',
    ...chat({ messages: say, response_format: { type: 'json_object' } }),
    status: 400,
    error: 'response_format.type must be "json_schema" or "text"',
  },
  {
    name: 'json_schema without a schema',
    ...chat({ messages: say, response_format: { type: 'json_schema', json_schema: { name: 'x' } } }),
    status: 400,
    error: 'response_format.json_schema.schema must be a JSON Schema object',
  },
  {
    name: 'more answer than the context holds',
    ...chat({ messages: say, max_tokens: CONTEXT }),
    status: 400,
    error: (s) =>
      `The prompt is ${s.hiTokens} tokens; with ${CONTEXT} tokens for the answer that is more than the model's context of ${CONTEXT} tokens`,
  },
  { name: 'no key', ...chat({ messages: say }), key: null, status: 401, error: 'Authentication error, API token missing/invalid' },
];

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('valid JSON');
}

async function send(server: TestServer, c: Case, state: State): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (c.key !== null) headers.authorization = c.key ?? server.key;
  const json = typeof c.json === 'function' ? (c.json as (s: State) => unknown)(state) : c.json;
  const res = await fetch(new URL(c.path!, server.url), {
    method: c.method ?? 'GET',
    headers,
    body: c.raw ?? (json === undefined ? undefined : JSON.stringify(json)),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** A server for `audio_url`s: 404 for /missing, and never an answer for /hang (the transcript stays processing). */
function audioServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const hanging: http.ServerResponse[] = [];
  const srv = http.createServer((req, res) => {
    if (req.url === '/hang') hanging.push(res);
    else res.writeHead(404).end('not here');
  });
  return new Promise((resolve) =>
    srv.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
        close: () => {
          for (const res of hanging) res.destroy();
          srv.closeAllConnections();
          return new Promise((r) => srv.close(() => r()));
        },
      }),
    ),
  );
}

describe('requests LeMUR and the LLM Gateway cannot answer', () => {
  /** The tiny model, PostgreSQL storage (so the keys CLI runs beside it), no rate limit. */
  let server: TestServer;
  let audio: Awaited<ReturnType<typeof audioServer>>;
  const state = {} as State;

  beforeAll(async () => {
    audio = await audioServer();
    server = await startServer({ storage: 'postgres', env: { ...tinyLlmEnv(CONTEXT), EARSHOT_LLM_RATE_LIMIT: '0' } });
    const create = async (audioUrl: string, key = server.key) => {
      const res = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: audioUrl }, headers: { authorization: key } });
      return ((await res.json()) as { id: string }).id;
    };
    const clips = librivoxClips();
    state.completed = (await completedTranscript(server, clips[0]!.wav)).id as string;
    state.deleted = (await completedTranscript(server, clips[1]!.wav)).id as string;
    expect((await api(server, `/v2/transcript/${state.deleted}`, { method: 'DELETE' })).status).toBe(200);
    state.failed = await create(`${audio.url}/missing`);
    expect((await waitForTranscript(server, state.failed)).status).toBe('error');
    state.processing = await create(`${audio.url}/hang`);
    for (let i = 0; i < 100 && (await (await api(server, `/v2/transcript/${state.processing}`)).json()).status !== 'processing'; i++)
      await new Promise((r) => setTimeout(r, 100));
    const other = await server.cli(['keys', 'create', '--project', 'other']);
    expect(other.code, other.stderr).toBe(0);
    state.otherKey = other.stdout.trim();
    state.otherProject = await create(`${audio.url}/hang`, state.otherKey);
    // Exact prompt sizes, as the model counts them.
    const counter = new EmbeddedBackend({
      modelPath: TINY_MODEL,
      name: TINY_MODEL_NAME,
      contextTokens: 256,
      threads: 1,
      timeoutMs: 600_000,
      log: createLogger('silent'),
    });
    state.overContextTokens = await counter.countPromptTokens(
      TINY_MODEL_NAME,
      directMessages(joinLines(inputTextLines(OVER_CONTEXT)), '', 'What was decided?'),
    );
    state.hiTokens = await counter.countPromptTokens(TINY_MODEL_NAME, [{ role: 'user', content: 'hi' }]);
    await counter.close();
  });
  afterAll(async () => {
    if (process.env.EARSHOT_TEST_SHOW_OUTPUT) console.log(server?.output());
    await server?.destroy();
    await audio?.close();
  });

  it.each(LEMUR_CASES.map((c) => [c.name, c] as const))('LeMUR: %s', async (_name, c) => {
    const res = await send(server, c, state);
    const error = typeof c.error === 'function' ? c.error(state) : c.error;
    expect({ status: res.status, body: res.body }).toEqual({ status: c.status, body: { error } });
    // With EARSHOT_LLM_RATE_LIMIT=0 there is no limit to report.
    expect(res.headers.get('x-ratelimit-limit')).toBeNull();
  });

  it.each(GATEWAY_CASES.map((c) => [c.name, c] as const))('gateway: %s', async (_name, c) => {
    const res = await send(server, c, state);
    const error = typeof c.error === 'function' ? c.error(state) : c.error;
    expect({ status: res.status, body: res.body }).toEqual({ status: c.status, body: gatewayError(c.status, error) });
    validateSchema('ErrorResponse', res.body, 'llm-gateway.yml');
  });

  it('still answers good requests after all of them', async () => {
    const res = await api(server, '/lemur/v3/generate/task', {
      method: 'POST',
      json: { transcript_ids: [state.completed], prompt: 'Anything?', max_output_size: 4 },
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { request_id: string };
    validateSchema('LemurTaskResponse', answer, 'openapi-2025-01-full-with-lemur-and-realtime-token.yml');
    // Another project can neither read nor purge it: the same 404 as an unknown id.
    const stored = `/lemur/v3/${answer.request_id}`;
    for (const method of ['GET', 'DELETE']) {
      const foreign = await api(server, stored, { method, headers: { authorization: state.otherKey } });
      expect({ method, status: foreign.status, body: await foreign.json() }).toEqual({
        method,
        status: 404,
        body: { error: `LeMUR request not found: ${answer.request_id}` },
      });
    }
    expect((await api(server, stored)).status).toBe(200);
    // The Python SDK's task(prompt, input_text=...) sends an empty sources list.
    const python = await api(server, '/lemur/v3/generate/task', {
      method: 'POST',
      json: { sources: [], input_text: 'We chose Friday.', prompt: 'When?', max_output_size: 4 },
    });
    expect(python.status).toBe(200);
  });
});

describe('servers without a usable LLM', () => {
  let none: TestServer;
  let unreachable: TestServer;
  let slow: TestServer;
  let deadPort: number;
  // An LLM server that takes requests and never answers them.
  const silent = http.createServer(() => undefined);

  beforeAll(async () => {
    deadPort = await freePort();
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`;
    [none, unreachable, slow] = await Promise.all([
      startServer({ env: { EARSHOT_LLM_RATE_LIMIT: '2' } }),
      startServer({ env: { EARSHOT_LLM_URL: `http://127.0.0.1:${deadPort}/v1` } }),
      startServer({ env: { EARSHOT_LLM_URL: silentUrl, EARSHOT_LLM_REMOTE_MODELS: 'fake', EARSHOT_LLM_TIMEOUT_MS: '500' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([none?.destroy(), unreachable?.destroy(), slow?.destroy()]);
    silent.closeAllConnections();
    silent.close();
  });

  it('say how to configure one (503), within the rate limit (429 beyond it)', async () => {
    const first = await api(none, '/lemur/v3/generate/task', { method: 'POST', json: { input_text: 'hi', prompt: 'p' } });
    expect(first.status).toBe(503);
    expect(await first.json()).toEqual({ error: NO_BACKEND });
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');

    const gateway = await api(none, '/v1/chat/completions', { method: 'POST', json: { model: 'default', messages: say } });
    expect(gateway.status).toBe(503);
    expect(await gateway.json()).toEqual(gatewayError(503, NO_BACKEND));
    expect(gateway.headers.get('x-ratelimit-remaining')).toBe('0');

    const models = await api(none, '/v1/models');
    expect({ status: models.status, body: await models.json() }).toEqual({ status: 503, body: gatewayError(503, NO_BACKEND) });

    const limited = await api(none, '/lemur/v3/generate/summary', { method: 'POST', json: { input_text: 'hi' } });
    expect({ status: limited.status, body: await limited.json() }).toEqual({ status: 429, body: { error: 'Too Many Requests' } });
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    const retry = Number(limited.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    expect(limited.headers.get('x-ratelimit-reset')).toBe(String(retry));
  });

  it('say which LLM server could not be reached (502)', async () => {
    const res = await api(unreachable, '/lemur/v3/generate/task', { method: 'POST', json: { input_text: 'hi', prompt: 'p' } });
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 502,
      body: {
        error: `The LLM server at http://127.0.0.1:${deadPort}/v1/models could not be reached: connect ECONNREFUSED 127.0.0.1:${deadPort}`,
      },
    });
  });

  it('answer 504 when the LLM gives no answer within EARSHOT_LLM_TIMEOUT_MS', async () => {
    const res = await api(slow, '/lemur/v3/generate/task', { method: 'POST', json: { input_text: 'hi', prompt: 'p' } });
    const body = (await res.json()) as { error: string };
    expect({ status: res.status, error: body.error }).toEqual({
      status: 504,
      error: expect.stringMatching(
        /^The LLM server at http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions gave no answer within 500 ms \(EARSHOT_LLM_TIMEOUT_MS\)$/,
      ),
    });
  });
});
