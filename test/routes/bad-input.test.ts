import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSchema } from '../helpers/openapi.js';
import { api, startServer, waitForTranscript, type TestServer } from '../helpers/server.js';

/**
 * Malformed requests against a real `earshot serve` (PGlite): every one must get the expected status
 * and an upstream-style `{"error": "..."}` body, and none may hurt the server.
 */

const MAX_JSON = 2_000;
const MAX_UPLOAD = 10_000;
const UNKNOWN_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

const LOOKUP = 'Transcript lookup error, transcript id not found';
const UNAUTHORIZED = 'Authentication error, API token missing/invalid';
const NOT_FOUND = 'Not found';
const NOT_OBJECT = 'Request body must be a JSON object';
const INVALID_JSON = /^Invalid JSON body: /;
const JSON_TOO_LARGE = `Request body is larger than the limit of ${MAX_JSON} bytes`;
const UPLOAD_TOO_LARGE = `Request body is larger than the limit of ${MAX_UPLOAD} bytes`;
const CHARS = 'chars_per_caption must be a positive Integer';
const LIMIT = 'limit must be an Integer between 1 and 200';
const CREATED_ON = 'created_on must be a date in the form YYYY-MM-DD';
const NOT_AUDIO = 'this is a text file pretending to be an mp3\n'.repeat(100);

/** Ids made by the setup tests, read by the table when each case runs. */
interface State {
  errorId: string;
  deletedId: string;
}

interface Case {
  name: string;
  method?: string;
  /** Sent verbatim: no `..` or `%2e` normalisation as fetch would do. */
  path: string | ((s: State) => string);
  /** Authorization value: the server's key when omitted, none when null; a function derives it from the key. */
  key?: string | null | ((key: string) => string);
  headers?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  body?: string | Buffer;
  /** Sent with chunked transfer-encoding, no content-length. */
  chunks?: Buffer[];
  status: number;
  error: string | RegExp;
}

const post = (json: unknown): Pick<Case, 'method' | 'path' | 'json'> => ({ method: 'POST', path: '/v2/transcript', json });
const withUrl = (extra: Record<string, unknown>) => post({ audio_url: 'https://example.com/audio.mp3', ...extra });

const CASES: Case[] = [
  // Authentication
  { name: 'no key', path: '/v2/transcript', key: null, status: 401, error: UNAUTHORIZED },
  { name: 'wrong key', path: '/v2/transcript', key: 'not-a-key', status: 401, error: UNAUTHORIZED },
  { name: '"Bearer wrong"', path: '/v2/transcript', key: 'Bearer wrong', status: 401, error: UNAUTHORIZED },
  { name: '"Bearer" with no key', path: '/v2/transcript', key: 'Bearer ', status: 401, error: UNAUTHORIZED },
  {
    name: 'upper-case AUTHORIZATION header, wrong key',
    path: '/v2/transcript',
    key: null,
    headers: { AUTHORIZATION: 'nope' },
    status: 401,
    error: UNAUTHORIZED,
  },
  { name: 'key with a suffix', path: '/v2/transcript', key: (k) => `${k}x`, status: 401, error: UNAUTHORIZED },
  { name: 'no key on upload', method: 'POST', path: '/v2/upload', key: null, body: 'abc', status: 401, error: UNAUTHORIZED },
  { name: 'no key on create', ...withUrl({}), key: null, status: 401, error: UNAUTHORIZED },
  { name: 'no key on delete', method: 'DELETE', path: `/v2/transcript/${UNKNOWN_ID}`, key: null, status: 401, error: UNAUTHORIZED },
  { name: 'no key on a long invalid id', path: `/v2/transcript/${'a'.repeat(5_000)}`, key: null, status: 401, error: UNAUTHORIZED },

  // Routes and methods
  { name: 'unknown route', path: '/v2/nope', status: 404, error: NOT_FOUND },
  { name: 'unknown file at the root (the web console is at /)', path: '/nope.html', status: 404, error: NOT_FOUND },
  { name: 'PUT /v2/transcript', method: 'PUT', path: '/v2/transcript', json: {}, status: 404, error: NOT_FOUND },
  { name: 'PATCH a transcript', method: 'PATCH', path: `/v2/transcript/${UNKNOWN_ID}`, json: {}, status: 404, error: NOT_FOUND },
  { name: 'GET /v2/upload', path: '/v2/upload', status: 404, error: NOT_FOUND },
  { name: 'DELETE an upload', method: 'DELETE', path: `/v2/upload/${UNKNOWN_ID}`, status: 404, error: NOT_FOUND },
  {
    name: 'LeMUR with no LLM configured',
    ...post({ prompt: 'hi', transcript_ids: [UNKNOWN_ID] }),
    path: '/lemur/v3/generate/task',
    status: 503,
    error: /^No LLM is configured on this Earshot server/,
  },
  { name: 'unknown transcript sub-resource', path: `/v2/transcript/${UNKNOWN_ID}/pdf`, status: 404, error: NOT_FOUND },

  // POST /v2/transcript: body shape
  {
    name: 'invalid JSON',
    method: 'POST',
    path: '/v2/transcript',
    headers: { 'content-type': 'application/json' },
    body: '{"audio_url": ',
    status: 400,
    error: INVALID_JSON,
  },
  { name: 'JSON array body', ...post([{ audio_url: 'https://example.com/a.mp3' }]), status: 400, error: NOT_OBJECT },
  { name: 'JSON string body', ...post('https://example.com/a.mp3'), status: 400, error: NOT_OBJECT },
  { name: 'JSON null body', ...post(null), status: 400, error: NOT_OBJECT },
  { name: 'JSON number body', ...post(42), status: 400, error: NOT_OBJECT },
  {
    name: 'empty body',
    method: 'POST',
    path: '/v2/transcript',
    headers: { 'content-type': 'application/json' },
    body: '',
    status: 400,
    error: NOT_OBJECT,
  },
  {
    name: 'binary garbage as JSON',
    method: 'POST',
    path: '/v2/transcript',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x80, 0x81]),
    status: 400,
    error: INVALID_JSON,
  },
  {
    name: 'XML content-type and body',
    method: 'POST',
    path: '/v2/transcript',
    headers: { 'content-type': 'application/xml' },
    body: '<audio_url>https://example.com/a.mp3</audio_url>',
    status: 400,
    error: INVALID_JSON,
  },
  {
    name: 'form-urlencoded body',
    method: 'POST',
    path: '/v2/transcript',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'audio_url=https%3A%2F%2Fexample.com%2Fa.mp3',
    status: 400,
    error: INVALID_JSON,
  },
  {
    name: 'multipart body',
    method: 'POST',
    path: '/v2/transcript',
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
    body: '--x\r\nContent-Disposition: form-data; name="audio_url"\r\n\r\nhttps://example.com/a.mp3\r\n--x--\r\n',
    status: 400,
    error: INVALID_JSON,
  },
  { name: 'JSON body just over the limit', ...withUrl({ prompt: 'x'.repeat(MAX_JSON) }), status: 413, error: JSON_TOO_LARGE },
  { name: 'huge JSON body (4 MB)', ...withUrl({ prompt: 'x'.repeat(4_000_000) }), status: 413, error: JSON_TOO_LARGE },

  // POST /v2/transcript: audio_url
  {
    name: 'missing audio_url',
    ...post({ punctuate: true }),
    status: 400,
    error: 'audio_url is required: the URL of the audio or video file to transcribe',
  },
  {
    name: 'audio_url null',
    ...post({ audio_url: null }),
    status: 400,
    error: 'audio_url is required: the URL of the audio or video file to transcribe',
  },
  { name: 'audio_url a number', ...post({ audio_url: 123 }), status: 400, error: 'audio_url must be a String' },
  {
    name: 'audio_url file://',
    ...post({ audio_url: 'file:///etc/passwd' }),
    status: 400,
    error: 'Transcript creation error, audio_url should start with http',
  },
  {
    name: 'audio_url a local path',
    ...post({ audio_url: '/home/me/audio.mp3' }),
    status: 400,
    error: 'Transcript creation error, audio_url should start with http',
  },
  {
    name: 'audio_url garbage',
    ...post({ audio_url: '%%% not a url %%%' }),
    status: 400,
    error: 'Transcript creation error, audio_url should start with http',
  },
  { name: 'audio_url http:// without host', ...post({ audio_url: 'http://' }), status: 400, error: 'audio_url must be a valid URL' },

  // POST /v2/transcript: option types and ranges
  { name: 'punctuate a string', ...withUrl({ punctuate: 'yes' }), status: 400, error: 'punctuate must be a Boolean' },
  { name: 'punctuate null', ...withUrl({ punctuate: null }), status: 400, error: 'punctuate must be a Boolean, not null' },
  { name: 'format_text a number', ...withUrl({ format_text: 1 }), status: 400, error: 'format_text must be a Boolean' },
  { name: 'speaker_labels a string', ...withUrl({ speaker_labels: 'true' }), status: 400, error: 'speaker_labels must be a Boolean' },
  {
    name: 'speaker_labels true (diarization models not installed)',
    ...withUrl({ speaker_labels: true }),
    status: 400,
    error:
      'speaker_labels needs the speaker diarization models, which are not installed on this Earshot server: ' +
      'run `earshot models pull pyannote-segmentation-3.0` and run `earshot models pull wespeaker-voxceleb-resnet34-lm`',
  },
  { name: 'word_boost a string', ...withUrl({ word_boost: 'hello' }), status: 400, error: 'word_boost must be a list of strings' },
  { name: 'word_boost numbers', ...withUrl({ word_boost: [1, 2] }), status: 400, error: 'word_boost must be a list of strings' },
  {
    name: 'boost_param unknown',
    ...withUrl({ word_boost: ['a'], boost_param: 'extreme' }),
    status: 400,
    error: 'boost_param must be one of: low, default, high',
  },
  { name: 'audio_start_from negative', ...withUrl({ audio_start_from: -1 }), status: 400, error: 'audio_start_from must be at least 0' },
  { name: 'audio_start_from a string', ...withUrl({ audio_start_from: '100' }), status: 400, error: 'audio_start_from must be an Integer' },
  { name: 'audio_start_from fractional', ...withUrl({ audio_start_from: 1.5 }), status: 400, error: 'audio_start_from must be an Integer' },
  {
    name: 'audio_end_at before audio_start_from',
    ...withUrl({ audio_start_from: 5000, audio_end_at: 1000 }),
    status: 400,
    error: 'audio_end_at must be greater than audio_start_from',
  },
  {
    name: 'language_code unknown',
    ...withUrl({ language_code: 'xx_yy' }),
    status: 400,
    error: /^The language xx_yy is not supported by the speech model /,
  },
  {
    name: 'language_code empty',
    ...withUrl({ language_code: '' }),
    status: 400,
    error: /^The language {2}is not supported by the speech model /,
  },
  { name: 'language_code a number', ...withUrl({ language_code: 42 }), status: 400, error: 'language_code must be a String' },
  {
    name: 'language_detection true: says what is missing',
    ...withUrl({ language_detection: true }),
    status: 400,
    error:
      'language_detection needs a spoken language identification model, which is not installed on this Earshot server: run `earshot models pull whisper-tiny`',
  },
  { name: 'speakers_expected zero', ...withUrl({ speakers_expected: 0 }), status: 400, error: 'speakers_expected must be at least 1' },
  {
    name: 'custom_spelling malformed',
    ...withUrl({ custom_spelling: [{ from: 'a', to: 'b' }] }),
    status: 400,
    error: /^custom_spelling must be a list of objects/,
  },
  {
    name: 'webhook_url not a URL',
    ...withUrl({ webhook_url: 'not a url' }),
    status: 400,
    error: 'webhook_url must be a valid http or https URL',
  },
  {
    name: 'webhook_url ftp',
    ...withUrl({ webhook_url: 'ftp://example.com/hook' }),
    status: 400,
    error: 'webhook_url must be a valid http or https URL',
  },
  { name: 'webhook_url a number', ...withUrl({ webhook_url: 7 }), status: 400, error: 'webhook_url must be a String' },
  {
    name: 'webhook auth name without value',
    ...withUrl({ webhook_url: 'https://example.com/h', webhook_auth_header_name: 'X-Auth' }),
    status: 400,
    error: 'webhook_auth_header_name and webhook_auth_header_value must be set together',
  },

  // POST /v2/upload
  {
    name: 'zero-byte upload',
    method: 'POST',
    path: '/v2/upload',
    headers: { 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(0),
    status: 400,
    error: 'Upload error, the request body is empty',
  },
  {
    name: 'upload over the limit (content-length)',
    method: 'POST',
    path: '/v2/upload',
    headers: { 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(1_000_000, 7),
    status: 413,
    error: UPLOAD_TOO_LARGE,
  },
  {
    name: 'upload over the limit (chunked)',
    method: 'POST',
    path: '/v2/upload',
    headers: { 'content-type': 'application/octet-stream' },
    chunks: Array.from({ length: 8 }, () => Buffer.alloc(4_000, 7)),
    status: 413,
    error: UPLOAD_TOO_LARGE,
  },
  { name: 'upload path ..%2f', path: '/v2/upload/..%2f..%2fetc%2fpasswd', status: 403, error: 'Cannot access uploaded file' },
  { name: 'upload path %2e%2e%2f', path: '/v2/upload/%2e%2e%2f%2e%2e%2fdb', status: 403, error: 'Cannot access uploaded file' },
  { name: 'upload path ../..', path: '/v2/upload/../../etc/passwd', status: 404, error: NOT_FOUND },
  { name: 'unknown upload id', path: `/v2/upload/${UNKNOWN_ID}`, status: 403, error: 'Cannot access uploaded file' },

  // Transcript ids
  { name: 'unknown id', path: `/v2/transcript/${UNKNOWN_ID}`, status: 400, error: LOOKUP },
  { name: 'id not a uuid', path: '/v2/transcript/abc', status: 400, error: LOOKUP },
  { name: 'id ../../etc/passwd', path: '/v2/transcript/../../etc/passwd', status: 404, error: NOT_FOUND },
  { name: 'id %2e%2e', path: '/v2/transcript/%2e%2e', status: 400, error: LOOKUP },
  { name: 'id %2e%2e%2f…%2fetc%2fpasswd', path: '/v2/transcript/%2e%2e%2f%2e%2e%2fetc%2fpasswd', status: 400, error: LOOKUP },
  { name: "id ' or 1=1--", path: "/v2/transcript/'%20or%201=1--", status: 400, error: LOOKUP },
  { name: 'id with a NUL', path: '/v2/transcript/a%00b', status: 400, error: LOOKUP },
  { name: 'id 300 characters', path: `/v2/transcript/${'a'.repeat(300)}`, status: 400, error: LOOKUP },
  { name: 'id 10000 characters', path: `/v2/transcript/${'a'.repeat(10_000)}`, status: 400, error: LOOKUP },
  {
    name: 'id with bad percent-encoding',
    path: '/v2/transcript/%ff%fe',
    status: 400,
    error: 'Malformed URL: the path is not validly percent-encoded',
  },
  { name: 'id a lone %', path: '/v2/transcript/%', status: 400, error: 'Malformed URL: the path is not validly percent-encoded' },
  { name: 'delete unknown id', method: 'DELETE', path: `/v2/transcript/${UNKNOWN_ID}`, status: 400, error: LOOKUP },
  { name: 'delete id not a uuid', method: 'DELETE', path: '/v2/transcript/1;drop%20table%20transcripts', status: 400, error: LOOKUP },

  // Sub-resources
  { name: 'sentences of unknown id', path: `/v2/transcript/${UNKNOWN_ID}/sentences`, status: 400, error: LOOKUP },
  { name: 'paragraphs of invalid id', path: '/v2/transcript/%2e%2e/paragraphs', status: 400, error: LOOKUP },
  {
    name: 'srt of an error transcript',
    path: (s) => `/v2/transcript/${s.errorId}/srt`,
    status: 400,
    error: 'Transcript is not completed (status: error)',
  },
  {
    name: 'sentences of a deleted transcript',
    path: (s) => `/v2/transcript/${s.deletedId}/sentences`,
    status: 400,
    error: 'Transcript is not completed (status: deleted)',
  },
  {
    name: 'chars_per_caption not a number',
    path: (s) => `/v2/transcript/${s.errorId}/srt?chars_per_caption=abc`,
    status: 400,
    error: CHARS,
  },
  { name: 'chars_per_caption zero', path: (s) => `/v2/transcript/${s.errorId}/vtt?chars_per_caption=0`, status: 400, error: CHARS },
  { name: 'chars_per_caption negative', path: (s) => `/v2/transcript/${s.errorId}/vtt?chars_per_caption=-5`, status: 400, error: CHARS },
  { name: 'chars_per_caption fractional', path: (s) => `/v2/transcript/${s.errorId}/srt?chars_per_caption=2.5`, status: 400, error: CHARS },
  {
    name: 'word-search without words',
    path: (s) => `/v2/transcript/${s.errorId}/word-search`,
    status: 400,
    error: 'words must be a comma-separated list of words or phrases',
  },
  {
    name: 'word-search with empty words',
    path: (s) => `/v2/transcript/${s.errorId}/word-search?words=,%20,`,
    status: 400,
    error: 'words must be a comma-separated list of words or phrases',
  },
  {
    name: 'word-search phrase of 6 words',
    path: (s) => `/v2/transcript/${s.errorId}/word-search?words=a%20b%20c%20d%20e%20f`,
    status: 400,
    error: 'Phrases may have up to 5 words: "a b c d e f"',
  },
  {
    name: 'word-search repeated words on unknown id',
    path: `/v2/transcript/${UNKNOWN_ID}/word-search?words=a&words=b`,
    status: 400,
    error: LOOKUP,
  },
  { name: 'webhook-deliveries of invalid id', path: "/v2/transcript/'%20or%201=1--/webhook-deliveries", status: 400, error: LOOKUP },

  // GET /v2/transcript (list)
  { name: 'limit 0', path: '/v2/transcript?limit=0', status: 400, error: LIMIT },
  { name: 'limit 201', path: '/v2/transcript?limit=201', status: 400, error: LIMIT },
  { name: 'limit not a number', path: '/v2/transcript?limit=ten', status: 400, error: LIMIT },
  { name: 'limit fractional', path: '/v2/transcript?limit=1.5', status: 400, error: LIMIT },
  { name: 'limit empty', path: '/v2/transcript?limit=', status: 400, error: LIMIT },
  { name: 'limit repeated', path: '/v2/transcript?limit=1&limit=2', status: 400, error: LIMIT },
  {
    name: 'status unknown',
    path: '/v2/transcript?status=done',
    status: 400,
    error: 'status must be one of: queued, processing, completed, error',
  },
  { name: 'created_on a word', path: '/v2/transcript?created_on=yesterday', status: 400, error: CREATED_ON },
  { name: 'created_on month 13', path: '/v2/transcript?created_on=2024-13-01', status: 400, error: CREATED_ON },
  { name: 'created_on February 31st', path: '/v2/transcript?created_on=2024-02-31', status: 400, error: CREATED_ON },
  { name: 'created_on with a time', path: '/v2/transcript?created_on=2024-02-01T10:00:00Z', status: 400, error: CREATED_ON },
  { name: 'before_id not a uuid', path: '/v2/transcript?before_id=123', status: 400, error: 'before_id must be a transcript id' },
  { name: "after_id ' or 1=1--", path: "/v2/transcript?after_id='%20or%201=1--", status: 400, error: 'after_id must be a transcript id' },
  {
    name: 'before_id and after_id',
    path: `/v2/transcript?before_id=${UNKNOWN_ID}&after_id=${UNKNOWN_ID}`,
    status: 400,
    error: 'Use before_id or after_id, not both',
  },

  // HTTP level
  {
    name: 'header block over the limit',
    path: '/v2/transcript',
    headers: { 'x-padding': 'p'.repeat(20_000) },
    status: 431,
    error: 'Request Header Fields Too Large',
  },
];

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request on a fresh connection, path and header names exactly as given. */
function send(server: TestServer, c: Case, state: State): Promise<RawResponse> {
  const { hostname, port } = new URL(server.url);
  const headers: Record<string, string> = { ...c.headers };
  const hasAuth = Object.keys(headers).some((h) => h.toLowerCase() === 'authorization');
  if (!hasAuth && c.key !== null) headers.authorization = typeof c.key === 'function' ? c.key(server.key) : (c.key ?? server.key);
  let body: string | Buffer | undefined = c.body;
  if (c.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(c.json);
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const target = typeof c.path === 'function' ? c.path(state) : c.path;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({ host: hostname, port, method: c.method ?? 'GET', path: target, headers, agent: false }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    // A server that answers early (413) may close while the body is still going out: that is fine once answered.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (c.chunks) {
      for (const chunk of c.chunks) req.write(chunk);
      req.end();
    } else {
      req.end(body);
    }
  });
}

describe('malformed requests against a running server (pglite)', () => {
  let server: TestServer;
  const state: State = { errorId: '', deletedId: '' };

  beforeAll(async () => {
    server = await startServer({ env: { EARSHOT_MAX_JSON_BYTES: String(MAX_JSON), EARSHOT_MAX_UPLOAD_BYTES: String(MAX_UPLOAD) } });
  });
  afterAll(async () => {
    if (process.env.EARSHOT_TEST_SHOW_OUTPUT) console.log(server?.output());
    await server?.destroy();
  });

  async function transcribeNotAudio(): Promise<Record<string, unknown>> {
    // Accepted at upload time whatever it holds, as upstream does; the error comes with the transcript.
    const up = await api(server, '/v2/upload', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: NOT_AUDIO });
    expect(up.status).toBe(200);
    const { upload_url } = (await up.json()) as { upload_url: string };
    const created = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: upload_url } });
    expect(created.status).toBe(200);
    return waitForTranscript(server, ((await created.json()) as { id: string }).id);
  }

  it('accepts a non-audio upload and ends its transcript in error', async () => {
    const [a, b] = await Promise.all([transcribeNotAudio(), transcribeNotAudio()]);
    for (const t of [a, b]) {
      validateSchema('Transcript', t);
      expect(t.status).toBe('error');
      expect(t.error).toMatch(/does not appear to contain audio/);
    }
    state.errorId = a.id as string;
    state.deletedId = b.id as string;
  });

  it('deletes a transcript twice: the second delete answers the same scrubbed transcript', async () => {
    const first = await api(server, `/v2/transcript/${state.deletedId}`, { method: 'DELETE' });
    expect(first.status).toBe(200);
    const again = await api(server, `/v2/transcript/${state.deletedId}`, { method: 'DELETE' });
    expect(again.status).toBe(200);
    const body = (await again.json()) as Record<string, unknown>;
    validateSchema('Transcript', body);
    expect(body.id).toBe(state.deletedId);
    expect(body.text).toBe('Deleted by user.');
    expect(body.audio_url).toBe('http://deleted_by_user');
  });

  it('survives clients that hang up in the middle of an upload or a JSON body', async () => {
    const { hostname, port } = new URL(server.url);
    for (const route of ['/v2/upload', '/v2/transcript']) {
      const req = http.request({
        host: hostname,
        port,
        method: 'POST',
        path: route,
        headers: { authorization: server.key, 'content-type': 'application/json', 'content-length': '1500' },
        agent: false,
      });
      req.on('error', () => undefined);
      req.write('{"audio_url": "https://example.com/a.mp3", "prompt": "');
      await new Promise((r) => setTimeout(r, 300));
      req.destroy();
    }
    await new Promise((r) => setTimeout(r, 300));
  });

  it(`has at least 35 cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(35);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES)('$name → $status', async (c) => {
    const res = await send(server, c, state);
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      throw new Error(`${res.status} with a body that is not JSON: ${res.text.slice(0, 200)}`);
    }
    expect({ status: res.status, body }).toMatchObject({
      status: c.status,
      body: { error: c.error instanceof RegExp ? expect.stringMatching(c.error) : c.error },
    });
    validateSchema('Error', body);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('is still up and healthy after all of them', async () => {
    const health = await fetch(new URL('/health', server.url));
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', checks: { database: { status: 'ok' }, disk: { status: 'ok' } } });
    const list = await api(server, '/v2/transcript?limit=200');
    expect(list.status).toBe(200);
    const page = (await list.json()) as { transcripts: { id: string }[] };
    validateSchema('TranscriptList', page);
    expect(page.transcripts.map((t) => t.id)).toEqual(expect.arrayContaining([state.errorId, state.deletedId]));
    // The accepted key forms still work: raw, any header-name case, and the habitual Bearer prefix.
    for (const [name, value] of [
      ['authorization', server.key],
      ['AUTHORIZATION', server.key],
      ['Authorization', `Bearer ${server.key}`],
    ]) {
      const res = await send(
        server,
        { name, path: '/v2/transcript?limit=1', key: null, headers: { [name]: value }, status: 200, error: '' },
        state,
      );
      expect(res.status, name).toBe(200);
    }
    expect(server.process.exitCode).toBeNull();
    // Only the one live upload is on disk: rejected, empty, aborted and deleted uploads left nothing behind.
    expect(fs.readdirSync(path.join(server.dataDir, 'uploads'))).toHaveLength(1);
    const output = server.output();
    expect(output).not.toMatch(/unhandled|uncaught/i);
    // Nothing was logged as a server failure (500s log at error level with a stack).
    expect(output).not.toMatch(/"level":(50|60)/);
    expect(output).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
  });
});
