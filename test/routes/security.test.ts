import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSchema } from '../helpers/openapi.js';
import { startReceiver } from '../helpers/receiver.js';
import { api, startServer, waitForTranscript, type TestServer } from '../helpers/server.js';
import { connect } from '../helpers/streaming.js';

/**
 * Hardening cases that must never come back, against real `earshot serve` processes: malformed bodies of
 * every kind generated from tables (wrong types, bounds, NUL and lone surrogates in any string of any route,
 * header injection, other spellings of another project's upload URL), options no engine applies, LeMUR's
 * validation before its 503, request secrets kept out of the logs, absolute-form request lines, and `--public`
 * given as a flag. Kept elsewhere and not repeated here: the fixed bad-input table (test/routes/bad-input.test.ts),
 * per-endpoint project isolation and key comparison (test/routes/projects.test.ts), SSRF address forms and
 * redirects (test/net/guard.test.ts, test/net/fetch.test.ts), LeMUR/gateway bad input (test/routes/lemur-bad-input.test.ts).
 */

const AUDIO = 'https://example.com/audio.mp3';
const HOOK = 'https://example.com/hook';
/** A webhook secret sent in many requests below: it must never appear in the server's output. */
const SECRET = 'wh-secret-4b1d9e27c0';
const NOT_STORABLE = { nul: 'a NUL character (\\u0000)', surrogate: 'a lone UTF-16 surrogate (invalid Unicode)' };

interface Case {
  name: string;
  method?: string;
  path: string;
  json?: unknown;
  status: number;
  error: string | RegExp;
}

const create = (name: string, extra: Record<string, unknown>, status: number, error: string | RegExp): Case => ({
  name,
  method: 'POST',
  path: '/v2/transcript',
  json: { audio_url: AUDIO, ...extra },
  status,
  error,
});

// Wrong types: every option of POST /v2/transcript with values of other JSON types.
type Kind = 'boolean' | 'integer' | 'number' | 'string' | 'string[]' | 'object';
const ARTICLE: Record<Kind, string> = {
  boolean: 'a Boolean',
  integer: 'an Integer',
  number: 'a Number',
  string: 'a String',
  'string[]': 'a list of strings',
  object: 'an Object',
};
const WRONG: Record<Kind, unknown[]> = {
  boolean: ['true', 1, [true]],
  integer: ['100', 1.5, true],
  number: ['0.5', false, {}],
  string: [7, ['a'], { a: 1 }],
  'string[]': ['a', [1], [null]],
  object: ['{}', [], 3],
};
const TYPED: [string, Kind][] = [
  ['audio_url', 'string'],
  ['speech_model', 'string'],
  ['language_code', 'string'],
  ['language_codes', 'string[]'],
  ['language_detection', 'boolean'],
  ['language_confidence_threshold', 'number'],
  ['language_detection_options', 'object'],
  ['punctuate', 'boolean'],
  ['format_text', 'boolean'],
  ['disfluencies', 'boolean'],
  ['filter_profanity', 'boolean'],
  ['multichannel', 'boolean'],
  ['audio_start_from', 'integer'],
  ['audio_end_at', 'integer'],
  ['keyterms_prompt', 'string[]'],
  ['prompt', 'string'],
  ['temperature', 'number'],
  ['word_boost', 'string[]'],
  ['speaker_labels', 'boolean'],
  ['speakers_expected', 'integer'],
  ['speaker_options', 'object'],
  ['speech_threshold', 'number'],
  ['redact_pii', 'boolean'],
  ['redact_pii_policies', 'string[]'],
  ['content_safety_confidence', 'integer'],
  ['summarization', 'boolean'],
  ['topics', 'string[]'],
  ['webhook_url', 'string'],
  ['webhook_auth_header_name', 'string'],
  ['webhook_auth_header_value', 'string'],
  ['dual_channel', 'boolean'],
  ['redact_pii_audio', 'boolean'],
  ['auto_highlights', 'boolean'],
  ['content_safety', 'boolean'],
  ['iab_categories', 'boolean'],
  ['sentiment_analysis', 'boolean'],
  ['entity_detection', 'boolean'],
  ['auto_chapters', 'boolean'],
  ['custom_topics', 'boolean'],
];
const TYPE_CASES = TYPED.flatMap(([field, kind]) =>
  WRONG[kind].map((v, i) => create(`${field} = ${JSON.stringify(v)} (${i})`, { [field]: v }, 400, `${field} must be ${ARTICLE[kind]}`)),
);

// Bounds.
const BOUNDS: [string, unknown, string][] = [
  ['audio_start_from', -1, 'audio_start_from must be at least 0'],
  ['audio_start_from', 1e308, 'audio_start_from must be at most 2147483647'],
  ['audio_start_from', 1e20, 'audio_start_from must be at most 2147483647'],
  ['audio_start_from', 2 ** 31, 'audio_start_from must be at most 2147483647'],
  ['audio_end_at', 0, 'audio_end_at must be at least 1'],
  ['audio_end_at', -5, 'audio_end_at must be at least 1'],
  ['audio_end_at', 2 ** 53, 'audio_end_at must be at most 2147483647'],
  ['audio_end_at', 1e308, 'audio_end_at must be at most 2147483647'],
  ['language_confidence_threshold', -0.1, 'language_confidence_threshold must be at least 0'],
  ['language_confidence_threshold', 1.1, 'language_confidence_threshold must be at most 1'],
  ['temperature', 2, 'temperature must be at most 1'],
  ['speakers_expected', 0, 'speakers_expected must be at least 1'],
  ['content_safety_confidence', 24, 'content_safety_confidence must be at least 25'],
  ['content_safety_confidence', 101, 'content_safety_confidence must be at most 100'],
  ['speech_threshold', 1.5, 'speech_threshold must be at most 1'],
];
const BOUND_CASES = BOUNDS.map(([field, v, error]) => create(`${field} = ${v}`, { [field]: v }, 400, error));

// Strings PostgreSQL cannot store, anywhere in any JSON body or query string.
const BAD_STRINGS: [keyof typeof NOT_STORABLE, string][] = [
  ['nul', 'a\u0000b'],
  ['surrogate', 'x\ud800'],
  ['surrogate', '\udc00y'],
];
const STRING_PLACES: { name: string; path: string; method?: string; body: (s: string) => unknown; where: string }[] = [
  { name: 'audio_url', path: '/v2/transcript', body: (s) => ({ audio_url: `${AUDIO}?${s}` }), where: 'audio_url' },
  { name: 'prompt', path: '/v2/transcript', body: (s) => ({ audio_url: AUDIO, prompt: s }), where: 'prompt' },
  {
    name: 'webhook_auth_header_value',
    path: '/v2/transcript',
    body: (s) => ({ audio_url: AUDIO, webhook_url: HOOK, webhook_auth_header_name: 'X-A', webhook_auth_header_value: s }),
    where: 'webhook_auth_header_value',
  },
  {
    name: 'custom_spelling',
    path: '/v2/transcript',
    body: (s) => ({ audio_url: AUDIO, custom_spelling: [{ from: ['a'], to: s }] }),
    where: 'custom_spelling[0].to',
  },
  {
    name: 'an unknown option',
    path: '/v2/transcript',
    body: (s) => ({ audio_url: AUDIO, future_option: { deep: [s] } }),
    where: 'future_option.deep[0]',
  },
  { name: 'a field name', path: '/v2/transcript', body: (s) => ({ audio_url: AUDIO, [s]: 1 }), where: 'a field name in the body' },
  { name: 'LeMUR input_text', path: '/lemur/v3/generate/task', body: (s) => ({ prompt: 'p', input_text: s }), where: 'input_text' },
  {
    name: 'LeMUR question',
    path: '/lemur/v3/generate/question-answer',
    body: (s) => ({ input_text: 't', questions: [{ question: s }] }),
    where: 'questions[0].question',
  },
  {
    name: 'LLM gateway message',
    path: '/v1/chat/completions',
    body: (s) => ({ model: 'default', messages: [{ role: 'user', content: s }] }),
    where: 'messages[0].content',
  },
  { name: 'realtime token body', path: '/v2/realtime/token', body: (s) => ({ expires_in: 60, note: s }), where: 'note' },
  { name: 'API key name', path: '/v2/keys', body: (s) => ({ name: s }), where: 'name' },
];
const STRING_CASES: Case[] = STRING_PLACES.flatMap((p) =>
  BAD_STRINGS.map(
    ([kind, s], i): Case => ({
      name: `${kind} in ${p.name} (${p.path}, ${i})`,
      method: p.method ?? 'POST',
      path: p.path,
      json: p.body(s),
      status: 400,
      error: `${p.where} must not contain ${NOT_STORABLE[kind]}`,
    }),
  ),
);
const QUERY_CASES: Case[] = [
  ['/v2/transcript?status=%00', 'status'],
  ['/v2/transcript?limit=1&x=a%00b', 'x'],
  ['/v3/token?expires_in_seconds=60&a=%00', 'a'],
  ['/v2/transcript/3f2504e0-4f89-41d3-9a0c-0305e82c3301/word-search?words=a%00', 'words'],
].map(([path, where]) => ({
  name: `NUL in the query ${path}`,
  path: path!,
  status: 400,
  error: `${where} must not contain ${NOT_STORABLE.nul}`,
}));

// Webhook headers that could never be delivered, or that would inject or reframe the request.
const HEADER_NAMES: [string, string | RegExp][] = [
  ['', 'webhook_auth_header_name must not be empty'],
  ['X-Auth\r\nX-Injected: 1', /^webhook_auth_header_name must be an HTTP header name/],
  ['X-Auth\n', /^webhook_auth_header_name must be an HTTP header name/],
  ['X Auth', /^webhook_auth_header_name must be an HTTP header name/],
  ['X-Auth:', /^webhook_auth_header_name must be an HTTP header name/],
  ['Xé', /^webhook_auth_header_name must be an HTTP header name/],
  ['Host', 'webhook_auth_header_name must not be Host: Earshot sets that header itself'],
  ['content-length', 'webhook_auth_header_name must not be content-length: Earshot sets that header itself'],
  ['Transfer-Encoding', 'webhook_auth_header_name must not be Transfer-Encoding: Earshot sets that header itself'],
  ['Connection', 'webhook_auth_header_name must not be Connection: Earshot sets that header itself'],
];
const HEADER_VALUES = ['token\r\nX-Injected: 1', 'token\n', 'tok\ren', 'bell\u0007', 'euro €'];
const VALUE_ERROR = 'webhook_auth_header_value must not contain line breaks or other control characters, nor characters beyond U+00FF';
const HEADER_CASES = [
  ...HEADER_NAMES.map(([name, error]) =>
    create(
      `header name ${JSON.stringify(name)}`,
      { webhook_url: HOOK, webhook_auth_header_name: name, webhook_auth_header_value: SECRET },
      400,
      error,
    ),
  ),
  ...HEADER_VALUES.map((value) =>
    create(
      `header value ${JSON.stringify(value)}`,
      { webhook_url: HOOK, webhook_auth_header_name: 'X-Auth', webhook_auth_header_value: value },
      400,
      VALUE_ERROR,
    ),
  ),
  ...['file:///etc/passwd', 'javascript:alert(1)', 'gopher://example.com/', 'http//example.com'].map((url) =>
    create(`webhook_url ${url}`, { webhook_url: url }, 400, 'webhook_url must be a valid http or https URL'),
  ),
];

// Options no engine applies: refused naming the engine; their no-op values pass (see ACCEPTED).
const unapplied = (names: string) =>
  new RegExp(`^The following options are not supported by the speech model pocketsphinx\\S* on this Earshot server: ${names}$`);
const OPTION_CASES = [
  create('keyterms_prompt given', { keyterms_prompt: ['Earshot'] }, 400, unapplied('keyterms_prompt')),
  create('prompt given', { prompt: 'A meeting about budgets.' }, 400, unapplied('prompt')),
  create('both', { keyterms_prompt: ['a'], prompt: 'p' }, 400, unapplied('keyterms_prompt, prompt')),
  // The threshold only acts with language detection: without it, a 400 saying so rather than an echo that did nothing.
  create(
    'language_confidence_threshold without language_detection',
    { language_confidence_threshold: 0.5 },
    400,
    'language_confidence_threshold applies to automatic language detection: set language_detection to true',
  ),
];

// LeMUR on a server with no LLM: a malformed request gets its 400, a valid one the 503.
const NO_LLM = /^No LLM is configured on this Earshot server/;
const LEMUR_CASES: Case[] = [
  {
    name: 'LeMUR task without prompt',
    method: 'POST',
    path: '/lemur/v3/generate/task',
    json: { input_text: 'hi' },
    status: 400,
    error: 'prompt is required: the instruction for the model',
  },
  {
    name: 'LeMUR body a list',
    method: 'POST',
    path: '/lemur/v3/generate/summary',
    json: [1],
    status: 400,
    error: 'Request body must be a JSON object',
  },
  {
    name: 'LeMUR temperature 9',
    method: 'POST',
    path: '/lemur/v3/generate/summary',
    json: { input_text: 'hi', temperature: 9 },
    status: 400,
    error: 'temperature must be a number between 0 and 1',
  },
  {
    name: 'LeMUR empty sources, no input_text',
    method: 'POST',
    path: '/lemur/v3/generate/task',
    json: { prompt: 'p', sources: [] },
    status: 400,
    error: 'sources is empty: give at least one transcript id, or use input_text',
  },
  {
    name: 'LeMUR empty sources with input_text (Python SDK)',
    method: 'POST',
    path: '/lemur/v3/generate/task',
    json: { prompt: 'p', input_text: 'hi', sources: [] },
    status: 503,
    error: NO_LLM,
  },
  {
    name: 'LeMUR empty transcript_ids with input_text',
    method: 'POST',
    path: '/lemur/v3/generate/summary',
    json: { input_text: 'hi', transcript_ids: [] },
    status: 503,
    error: NO_LLM,
  },
  {
    name: 'gateway without model',
    method: 'POST',
    path: '/v1/chat/completions',
    json: { messages: [{ role: 'user', content: 'hi' }] },
    status: 400,
    error: 'model is required: the name of the model to use',
  },
];

/** Filled in by the setup: another project's upload, spelt the ways the server would also route. */
const uploadSpellings = (uploadUrl: string): string[] => {
  const u = new URL(uploadUrl);
  const id = u.pathname.split('/').pop()!;
  return [
    `${uploadUrl}/`,
    `${u.origin}//v2//upload/${id}`,
    `${u.origin}/v2/upload/${id.replace(/-/g, '%2D')}`,
    `${u.origin}/v2/upload/${id}%2F`,
    `${u.origin}/v2/upload/${id}//?x=1`,
  ];
};

const CASES: Case[] = [...TYPE_CASES, ...BOUND_CASES, ...STRING_CASES, ...QUERY_CASES, ...HEADER_CASES, ...OPTION_CASES, ...LEMUR_CASES];

/** Requests accepted (200) that sit next to the refusals above, so the refusals are not just everything failing. */
const ACCEPTED: [string, Record<string, unknown>][] = [
  ['empty keyterms_prompt, empty prompt, zero threshold', { keyterms_prompt: [], prompt: '', language_confidence_threshold: 0 }],
  ['the largest audio_end_at', { audio_start_from: 0, audio_end_at: 2_147_483_647 }],
  [
    'a webhook header with Latin-1 and tabs',
    { webhook_url: HOOK, webhook_auth_header_name: 'X-Webhook-Secret', webhook_auth_header_value: `${SECRET}\tcafé` },
  ],
  ['astral-plane text (a valid surrogate pair)', { custom_spelling: [{ from: ['smile'], to: '😀' }] }],
];

describe('hardening against a running server (postgres)', () => {
  let server: TestServer;
  let otherKey: string;
  let otherUpload: string;

  beforeAll(async () => {
    server = await startServer({ storage: 'postgres', env: { EARSHOT_LOG_LEVEL: 'debug' } });
    const created = await server.cli(['keys', 'create', '--project', 'other']);
    expect(created.code, created.stderr).toBe(0);
    otherKey = created.stdout.trim();
    const up = await fetch(new URL('/v2/upload', server.url), { method: 'POST', headers: { authorization: otherKey }, body: 'not audio' });
    expect(up.status).toBe(200);
    otherUpload = ((await up.json()) as { upload_url: string }).upload_url;
  });
  afterAll(async () => {
    if (process.env.EARSHOT_TEST_SHOW_OUTPUT) console.log(server?.output());
    await server?.destroy();
  });

  it(`has about 200 generated cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(190);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES)('$name → $status', async (c) => {
    const headers: Record<string, string> = { authorization: server.key };
    if (c.json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(new URL(c.path, server.url), {
      method: c.method ?? 'GET',
      headers,
      body: c.json === undefined ? undefined : JSON.stringify(c.json),
    });
    const body = (await res.json()) as { error: unknown };
    const error = typeof body.error === 'object' && body.error ? (body.error as { message: string }).message : body.error;
    expect({ status: res.status, error }).toEqual({
      status: c.status,
      error: c.error instanceof RegExp ? expect.stringMatching(c.error) : c.error,
    });
  });

  it("refuses another project's upload in every spelling the server would route (403)", async () => {
    const own = await fetch(new URL(new URL(otherUpload).pathname, server.url), { headers: { authorization: server.key } });
    expect(own.status).toBe(403);
    for (const audio_url of [otherUpload, ...uploadSpellings(otherUpload)]) {
      const res = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url } });
      expect({ audio_url, status: res.status, body: await res.json() }).toEqual({
        audio_url,
        status: 403,
        body: { error: 'Cannot access uploaded file' },
      });
    }
  });

  it.each(ACCEPTED)('accepts %s', async (_name, extra) => {
    const res = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: AUDIO, ...extra } });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(body)).toBe(200);
    validateSchema('Transcript', body);
  });

  it('answers a request line in absolute form without echoing its host', async () => {
    const { port } = new URL(server.url);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      let got = '';
      socket.on('data', (d) => (got += d));
      socket.on('end', () => resolve(got));
      socket.on('error', reject);
      socket.write(
        `GET http://evil.example/v2/transcript?limit=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: ${server.key}\r\nConnection: close\r\n\r\n`,
      );
    });
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    const page = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { page_details: { current_url: string } };
    expect(page.page_details.current_url).toBe(`http://127.0.0.1:${port}/v2/transcript?limit=1`);
    expect(text).not.toContain('evil.example');
  });

  it('refuses a v3 streaming webhook_url that is not http(s), and a header that would inject', async () => {
    const base = server.url.replace(/^http/, 'ws');
    for (const query of [
      'webhook_url=file%3A%2F%2F%2Fetc%2Fpasswd',
      `webhook_url=${encodeURIComponent(HOOK)}&webhook_auth_header_name=Host&webhook_auth_header_value=x`,
    ]) {
      const s = connect(`${base}/v3/ws?sample_rate=16000&${query}`, { authorization: server.key });
      const closed = await s.closed;
      expect(closed.code, query).toBe(3006);
      expect(closed.reason).toMatch(/webhook_url must be a valid http or https URL|webhook_auth_header_name must not be Host/);
    }
  });

  it('is still up, logged no server failure, and never logged a request secret', async () => {
    const health = await fetch(new URL('/health', server.url));
    expect(health.status).toBe(200);
    expect(server.process.exitCode).toBeNull();
    const output = server.output();
    expect(output).not.toMatch(/"level":(50|60)/);
    expect(output).toContain('"msg":"request rejected"'); // requests were logged, so the checks below mean something
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain(otherKey);
    expect(output).not.toContain(server.key);
  });
});

describe('--public given as a flag (not only EARSHOT_PUBLIC)', () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    server = await startServer({ storage: 'postgres', args: ['--public'] });
  });
  afterAll(async () => {
    await server?.destroy();
    await receiver?.close();
  });

  it('refuses a loopback audio_url and sends nothing to a loopback webhook', async () => {
    const res = await api(server, '/v2/transcript', {
      method: 'POST',
      json: { audio_url: `${receiver.url}/a.wav`, webhook_url: `${receiver.url}/hook` },
    });
    expect(res.status).toBe(200);
    const done = await waitForTranscript(server, ((await res.json()) as { id: string }).id);
    expect(done.status).toBe('error');
    expect(done.error).toMatch(/^Download error, unable to download /);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(receiver.received).toHaveLength(0);
  });
});
