import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { isForbiddenAddress } from '../net/guard.js';
import { PLACEHOLDER } from './auth.js';
import { findingsFor, isLoopbackHost, type Finding } from './finding.js';
import { DEPRECATED_INSTEAD, LEMUR_FIELDS, TRANSCRIPT_FIELDS, TRANSCRIPT_REMOVED, type FieldSpec } from './request-schema.js';

const f = findingsFor('request');

// ---------------------------------------------------------------------------------------------
// Shell words, the way bash splits a pasted command line

interface Word {
  value: string;
}

export interface ShellNotes {
  /** `$VAR` inside single quotes: sent literally. */
  singleQuotedVars: string[];
  /** `$VAR` the shell would expand but that is not set here. */
  unsetVars: string[];
  /** Typographic quotes (“ ” ‘ ’) used as quotes: the shell sends them as characters. */
  smartQuotes: boolean;
}

const VAR_AT = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/;

/** Splits a command line into words: quotes, escapes, line continuations, `$VAR` from `env`. Stops at a pipe or `;`. */
export function shellWords(text: string, env: Record<string, string | undefined>): { words: Word[]; notes: ShellNotes } {
  const notes: ShellNotes = { singleQuotedVars: [], unsetVars: [], smartQuotes: false };
  // Line continuations of bash (\), cmd (^) and PowerShell (`).
  const s = text.replace(/[\\^`]\r?\n/g, ' ').replace(/\r?\n/g, ' ');
  const words: Word[] = [];
  let cur: string | null = null;
  const add = (c: string) => (cur = (cur ?? '') + c);
  const expand = (i: number): number => {
    const m = VAR_AT.exec(s.slice(i));
    if (!m) {
      add('$');
      return i + 1;
    }
    const name = (m[1] ?? m[2])!;
    const v = env[name];
    if (v === undefined) {
      if (!notes.unsetVars.includes(name)) notes.unsetVars.push(name);
      add(m[0]);
    } else add(v);
    return i + m[0].length;
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      if (cur !== null) words.push({ value: cur });
      cur = null;
      i++;
    } else if (c === '|' || c === ';' || (c === '&' && s[i + 1] === '&') || c === '>') {
      break;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      const part = end < 0 ? s.slice(i + 1) : s.slice(i + 1, end);
      for (const m of part.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g))
        if (!notes.singleQuotedVars.includes(m[0])) notes.singleQuotedVars.push(m[0]);
      add(part);
      i = end < 0 ? s.length : end + 1;
    } else if (c === '$' && s[i + 1] === "'") {
      let j = i + 2;
      let part = '';
      const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };
      while (j < s.length && s[j] !== "'") {
        if (s[j] === '\\' && j + 1 < s.length) {
          part += esc[s[j + 1]!] ?? s[j + 1];
          j += 2;
        } else part += s[j++];
      }
      add(part);
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      add('');
      while (j < s.length && s[j] !== '"') {
        if (s[j] === '\\' && /[$`"\\]/.test(s[j + 1] ?? '')) {
          add(s[j + 1]!);
          j += 2;
        } else if (s[j] === '$') j = expand(j);
        else add(s[j++]!);
      }
      i = j + 1;
    } else if (c === '\\' && i + 1 < s.length) {
      add(s[i + 1]!);
      i += 2;
    } else if (c === '$') {
      i = expand(i);
    } else {
      if ('“”‘’'.includes(c)) notes.smartQuotes = true;
      add(c);
      i++;
    }
  }
  if (cur !== null) words.push({ value: cur });
  return { words, notes };
}

// ---------------------------------------------------------------------------------------------
// The request, from curl arguments or raw HTTP

export interface Header {
  name: string;
  value: string;
  /** No "Name: value" colon: curl sends nothing for it. */
  malformed: boolean;
}

export type DataFlag = '-d' | '--data-raw' | '--data-binary' | '--data-urlencode' | '--json' | 'body';

export interface ParsedRequest {
  tool: 'curl' | 'http';
  method: string;
  url: string | null;
  headers: Header[];
  /** Data parts in order (curl joins them with &). `file` is the @file they read. */
  data: { flag: DataFlag; text: string; file: string | null }[];
  form: { name: string; value: string; file: string | null }[];
  uploadFile: string | null;
  basicAuth: string | null;
  /** -G: data goes into the query string. */
  get: boolean;
  notes: ShellNotes;
}

const SHORT_WITH_VALUE = new Set('bcCdDeEFHKmoPQrtTuUwxXyYzA'.split(''));
const LONG_WITH_VALUE = new Set(
  (
    'request header data data-raw data-binary data-ascii data-urlencode json form form-string user upload-file url user-agent referer cookie cookie-jar output ' +
    'max-time connect-timeout write-out proxy proxy-user retry retry-delay retry-max-time cacert capath cert key range config dump-header limit-rate resolve ' +
    'connect-to interface oauth2-bearer max-redirs expect100-timeout keepalive-time unix-socket variable trace trace-ascii stderr ciphers cert-type key-type pass'
  ).split(' '),
);

function addData(req: ParsedRequest, flag: DataFlag, value: string) {
  const readsFile = flag !== '--data-raw' && value.startsWith('@');
  req.data.push({ flag, text: readsFile ? '' : value, file: readsFile ? value.slice(1) : null });
}

function parseCurl(words: string[], notes: ShellNotes): ParsedRequest {
  const req: ParsedRequest = {
    tool: 'curl',
    method: '',
    url: null,
    headers: [],
    data: [],
    form: [],
    uploadFile: null,
    basicAuth: null,
    get: false,
    notes,
  };
  let head = false;
  const take = (opt: string, value: string | undefined) => {
    if (value === undefined) return;
    switch (opt) {
      case 'X':
      case 'request':
        req.method = value.toUpperCase();
        break;
      case 'H':
      case 'header': {
        const colon = value.indexOf(':');
        if (colon <= 0) req.headers.push({ name: value.trim(), value: '', malformed: !value.trim().endsWith(';') });
        else req.headers.push({ name: value.slice(0, colon).trim(), value: value.slice(colon + 1).trim(), malformed: false });
        break;
      }
      case 'd':
      case 'data':
      case 'data-ascii':
        addData(req, '-d', value);
        break;
      case 'data-raw':
      case 'data-binary':
      case 'data-urlencode':
      case 'json':
        addData(req, `--${opt}` as DataFlag, value);
        if (opt === 'json') {
          req.headers.push({ name: 'Content-Type', value: 'application/json', malformed: false });
        }
        break;
      case 'F':
      case 'form':
      case 'form-string': {
        const eq = value.indexOf('=');
        const v = value.slice(eq + 1);
        req.form.push({
          name: value.slice(0, eq),
          value: v,
          file: opt !== 'form-string' && (v.startsWith('@') || v.startsWith('<')) ? v.slice(1).replace(/;.*$/, '') : null,
        });
        break;
      }
      case 'T':
      case 'upload-file':
        req.uploadFile = value;
        break;
      case 'u':
      case 'user':
        req.basicAuth = value;
        break;
      case 'url':
        req.url ??= value;
        break;
      case 'oauth2-bearer':
        req.headers.push({ name: 'Authorization', value: `Bearer ${value}`, malformed: false });
        break;
    }
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith('--') && w.length > 2) {
      const name = w.slice(2);
      if (LONG_WITH_VALUE.has(name)) take(name, words[++i]);
      else if (name === 'get') req.get = true;
      else if (name === 'head') head = true;
    } else if (w.startsWith('-') && w.length > 1) {
      for (let j = 1; j < w.length; j++) {
        const c = w[j]!;
        if (SHORT_WITH_VALUE.has(c)) {
          take(c, j + 1 < w.length ? w.slice(j + 1) : words[++i]);
          break;
        }
        if (c === 'G') req.get = true;
        if (c === 'I') head = true;
      }
    } else {
      req.url ??= w;
    }
  }
  if (!req.method) {
    req.method = head ? 'HEAD' : req.get ? 'GET' : req.data.length || req.form.length ? 'POST' : req.uploadFile ? 'PUT' : 'GET';
  }
  return req;
}

function parseRawHttp(text: string): ParsedRequest | null {
  const [headPart, ...rest] = text.replace(/^\s+/, '').split(/\r?\n\r?\n/);
  const lines = headPart!.split(/\r?\n/);
  const start = /^(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS)\s+(\S+)(?:\s+HTTP\/\d(?:\.\d)?)?\s*$/i.exec(lines[0]!.trim());
  if (!start) return null;
  const headers: Header[] = lines
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => {
      const colon = l.indexOf(':');
      return colon <= 0
        ? { name: l.trim(), value: '', malformed: true }
        : { name: l.slice(0, colon).trim(), value: l.slice(colon + 1).trim(), malformed: false };
    });
  let url = start[2]!;
  if (!/^[a-z]+:\/\//i.test(url)) {
    const host = headers.find((h) => h.name.toLowerCase() === 'host')?.value ?? null;
    url = host ? `${/assemblyai\.com$/i.test(host) ? 'https' : 'http'}://${host}${url}` : url;
  }
  const body = rest.join('\n\n');
  return {
    tool: 'http',
    method: start[1]!.toUpperCase(),
    url,
    headers,
    data: body.trim() ? [{ flag: 'body', text: body, file: null }] : [],
    form: [],
    uploadFile: null,
    basicAuth: null,
    get: false,
    notes: { singleQuotedVars: [], unsetVars: [], smartQuotes: false },
  };
}

/** A pasted `curl …` command (bash, cmd or PowerShell line breaks) or a raw HTTP request. */
export function parsePastedRequest(text: string, env: Record<string, string | undefined> = {}): ParsedRequest | null {
  const raw = parseRawHttp(text);
  if (raw) return raw;
  const { words, notes } = shellWords(text, env);
  const at = words.findIndex((w) => /(^|[\\/])curl(\.exe)?$/i.test(w.value));
  if (at < 0) return null;
  return parseCurl(
    words.slice(at + 1).map((w) => w.value),
    notes,
  );
}

// ---------------------------------------------------------------------------------------------
// Checks

const CLOUD_API_HOSTS = ['api.assemblyai.com', 'api.eu.assemblyai.com'];
const CLOUD_STREAMING_HOSTS = ['streaming.assemblyai.com', 'streaming.eu.assemblyai.com'];
const ALT_AUTH_HEADERS =
  /^(x-?api-?key|api-?key|apikey|x-assemblyai-api-key|assemblyai-api-key|x-auth-token|token|x-token|x-api-token|api-token|auth|x-authorization|key)$/i;
const AUDIO_EXT =
  /\.(3ga|8svx|aac|ac3|aif|aiff|alac|amr|ape|au|dss|flac|flv|m4a|m4b|m4p|m4r|mp3|mpga|ogg|oga|mogg|opus|qcp|tta|voc|wav|wma|wv|webm|mts|m2ts|ts|mov|mp2|mp4|m4v|mxf|mkv|avi|pcm|raw)$/i;

interface Route {
  pattern: RegExp;
  name: string;
  methods: string[];
  display: string;
}

const ID = '([^/]+)';
const ROUTES: Route[] = [
  { pattern: /^\/v2\/upload$/, name: 'upload', methods: ['POST'], display: '/v2/upload' },
  { pattern: new RegExp(`^/v2/upload/${ID}$`), name: 'upload-get', methods: ['GET'], display: '/v2/upload/{id}' },
  { pattern: /^\/v2\/transcript$/, name: 'transcripts', methods: ['POST', 'GET'], display: '/v2/transcript' },
  { pattern: new RegExp(`^/v2/transcript/${ID}$`), name: 'transcript', methods: ['GET', 'DELETE'], display: '/v2/transcript/{id}' },
  {
    pattern: new RegExp(`^/v2/transcript/${ID}/(sentences|paragraphs|srt|vtt|word-search|redacted-audio|webhook-deliveries)$`),
    name: 'transcript-sub',
    methods: ['GET'],
    display: '/v2/transcript/{id}/…',
  },
  {
    pattern: /^\/lemur\/v3\/generate\/(task|summary|question-answer|action-items)$/,
    name: 'lemur',
    methods: ['POST'],
    display: '/lemur/v3/generate/…',
  },
  { pattern: new RegExp(`^/lemur/v3/${ID}$`), name: 'lemur-get', methods: ['GET', 'DELETE'], display: '/lemur/v3/{id}' },
  { pattern: /^\/v3\/token$/, name: 'v3-token', methods: ['GET'], display: '/v3/token' },
  { pattern: /^\/v2\/realtime\/token$/, name: 'v2-token', methods: ['POST'], display: '/v2/realtime/token' },
  { pattern: /^\/(v3\/ws|v2\/realtime\/ws)$/, name: 'websocket', methods: ['GET'], display: '/v3/ws' },
  { pattern: /^\/v2\/doctor$/, name: 'doctor', methods: ['GET'], display: '/v2/doctor' },
  { pattern: /^\/v1\/chat\/completions$/, name: 'llm-gateway', methods: ['POST'], display: '/v1/chat/completions' },
  { pattern: /^\/v1\/models$/, name: 'llm-models', methods: ['GET'], display: '/v1/models' },
  { pattern: /^\/health$/, name: 'health', methods: ['GET'], display: '/health' },
];
const KNOWN_PATHS = [
  '/v2/upload',
  '/v2/transcript',
  '/v2/transcript/{id}',
  '/v2/transcript/{id}/srt',
  '/v2/transcript/{id}/vtt',
  '/v2/transcript/{id}/sentences',
  '/v2/transcript/{id}/paragraphs',
  '/v2/transcript/{id}/word-search',
  '/lemur/v3/generate/task',
  '/lemur/v3/generate/summary',
  '/lemur/v3/generate/question-answer',
  '/v3/token',
  '/v2/realtime/token',
];

export function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

const SYNONYMS: Record<string, string> = {
  url: 'audio_url',
  audio: 'audio_url',
  file: 'audio_url',
  file_url: 'audio_url',
  audio_file: 'audio_url',
  media_url: 'audio_url',
  source_url: 'audio_url',
  diarization: 'speaker_labels',
  speaker_diarization: 'speaker_labels',
  diarize: 'speaker_labels',
  speakers: 'speakers_expected',
  language: 'language_code',
  lang: 'language_code',
  webhook: 'webhook_url',
  callback_url: 'webhook_url',
  callback: 'webhook_url',
  model: 'speech_models',
  models: 'speech_models',
  keywords: 'keyterms_prompt',
  keyterms: 'keyterms_prompt',
  vocabulary: 'keyterms_prompt',
  transcript_id: 'transcript_ids',
  id: 'transcript_ids',
  ids: 'transcript_ids',
  text: 'input_text',
  question: 'questions',
};

/** The field a misspelt one most likely meant. */
export function suggestField(name: string, known: readonly string[]): string | null {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s]/g, '_')
    .toLowerCase();
  if (snake !== name && known.includes(snake)) return snake;
  const syn = SYNONYMS[snake];
  if (syn && known.includes(syn)) return syn;
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = levenshtein(snake, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(snake.length / 4)) ? best : null;
}

const ARTICLE: Record<FieldSpec['type'], string> = {
  boolean: 'a boolean (true/false, no quotes)',
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  array: 'a list',
  object: 'an object',
};

function typeOf(v: unknown): string {
  return v === null
    ? 'null'
    : Array.isArray(v)
      ? 'list'
      : typeof v === 'string'
        ? `string "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`
        : `${typeof v} ${JSON.stringify(v)}`;
}

function typeOk(t: FieldSpec['type'], v: unknown): boolean {
  switch (t) {
    case 'boolean':
      return typeof v === 'boolean';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'string':
      return typeof v === 'string';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
  }
}

/** One field against its spec: type, enum, range, list items. */
function checkField(name: string, spec: FieldSpec, v: unknown): Finding | null {
  const evidence = { field: name, value: v };
  if (v === null)
    return spec.nullable
      ? null
      : f.fail('wrong_type', `${name} is null; it must be ${ARTICLE[spec.type]}.`, `Leave ${name} out instead of sending null.`, evidence);
  if (!typeOk(spec.type, v)) {
    const hint =
      spec.type === 'boolean' && typeof v === 'string' && /^(true|false)$/i.test(v)
        ? ` Write ${v.toLowerCase()} without quotes.`
        : (spec.type === 'integer' || spec.type === 'number') && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))
          ? ` Write ${v} without quotes.`
          : spec.type === 'array' && typeof v === 'string'
            ? ` Wrap it in a list: ["${v}"].`
            : '';
    return f.fail(
      'wrong_type',
      `${name} is ${typeOf(v)}; it must be ${ARTICLE[spec.type]}.`,
      `Send ${name} as ${ARTICLE[spec.type]}.${hint}`,
      evidence,
    );
  }
  if (spec.enum && typeof v === 'string' && !spec.enum.includes(v)) {
    const near = suggestField(v, spec.enum);
    return f.fail(
      'bad_value',
      `${name} is "${v}"; allowed: ${spec.enum.join(', ')}.`,
      near ? `Did you mean "${near}"?` : `Use one of: ${spec.enum.join(', ')}.`,
      evidence,
    );
  }
  if (typeof v === 'number' && ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max))) {
    return f.fail(
      'out_of_range',
      `${name} is ${v}; it must be between ${spec.min ?? '-∞'} and ${spec.max ?? '∞'}.`,
      `Use a value from ${spec.min ?? '-∞'} to ${spec.max ?? '∞'}.`,
      evidence,
    );
  }
  if (Array.isArray(v) && spec.items) {
    const bad = v.find((x) => !typeOk(spec.items!, x));
    if (bad !== undefined)
      return f.fail(
        'wrong_type',
        `${name} has an item that is ${typeOf(bad)}; items must be ${ARTICLE[spec.items]}.`,
        `Make every item of ${name} ${ARTICLE[spec.items]}.`,
        evidence,
      );
    if (spec.itemEnum) {
      const unknown = v.find((x) => typeof x === 'string' && !spec.itemEnum!.includes(x)) as string | undefined;
      if (unknown !== undefined) {
        const near = suggestField(unknown, spec.itemEnum);
        return f.fail(
          'bad_value',
          `${name} contains "${unknown}", which is not an allowed value.`,
          near ? `Did you mean "${near}"?` : `See the API reference for ${name}.`,
          evidence,
        );
      }
    }
  }
  return null;
}

function hostKind(hostname: string): 'private' | 'public' | 'unknown' {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isLoopbackHost(h) || /\.(local|internal|lan|home|corp)$/.test(h)) return 'private';
  if (isIP(h)) return isForbiddenAddress(h) ? 'private' : 'public';
  return h.includes('.') ? 'unknown' : 'private';
}

function checkAudioUrlValue(v: string, cloud: boolean): Finding[] {
  const fix = 'Upload the file with POST /v2/upload (--data-binary @file) and use the upload_url it returns.';
  if (/^file:\/\//i.test(v) || /^(\.{0,2}\/|~\/|[A-Za-z]:[\\/])/.test(v) || (!/^[a-z][a-z0-9+.-]*:/i.test(v) && AUDIO_EXT.test(v))) {
    return [
      f.fail(
        'audio_url_local',
        `audio_url "${v}" is a local path: the service cannot read files on your machine ("audio_url should start with http").`,
        fix,
        { audio_url: v },
      ),
    ];
  }
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return [f.fail('bad_audio_url', `audio_url "${v}" is not a URL.`, 'Give a full https:// URL of the audio file.', { audio_url: v })];
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return [
      f.fail(
        'audio_url_scheme',
        `audio_url uses ${u.protocol}; the service fetches only http(s).`,
        'For s3:// or gs://, make a pre-signed https URL; otherwise upload the file.',
        { audio_url: v },
      ),
    ];
  }
  const out: Finding[] = [];
  if (hostKind(u.hostname) === 'private') {
    out.push(
      cloud
        ? f.fail('audio_url_private', `audio_url points at ${u.hostname}, which AssemblyAI's servers cannot reach.`, fix, { audio_url: v })
        : f.warn(
            'audio_url_private',
            `audio_url points at ${u.hostname}: fine for a server on the same machine or network, refused by one in public mode (EARSHOT_PUBLIC).`,
            fix,
            { audio_url: v },
          ),
    );
  }
  if (
    /(^|\.)(youtube\.com|youtu\.be)$/i.test(u.hostname) ||
    (/drive\.google\.com$/i.test(u.hostname) && /\/view|\/edit/.test(u.pathname)) ||
    (/dropbox\.com$/i.test(u.hostname) && u.searchParams.get('dl') === '0')
  ) {
    out.push(
      f.fail(
        'audio_url_webpage',
        `audio_url ${v} is a web page, not an audio file ("File does not appear to contain audio. File type is text/html").`,
        /dropbox/i.test(u.hostname)
          ? 'Use ?dl=1 instead of ?dl=0.'
          : 'Link to the audio file itself (Drive: https://drive.google.com/uc?export=download&id=FILE_ID), or download and upload it.',
        { audio_url: v },
      ),
    );
  }
  return out;
}

function checkJsonFields(
  body: Record<string, unknown>,
  fields: Record<string, FieldSpec>,
  required: string[],
  extraKnown: string[] = [],
): Finding[] {
  const out: Finding[] = [];
  const known = [...Object.keys(fields), ...extraKnown];
  for (const [name, v] of Object.entries(body)) {
    const spec = fields[name];
    if (spec) {
      const bad = checkField(name, spec, v);
      if (bad) out.push(bad);
      if (spec.deprecated && DEPRECATED_INSTEAD[name])
        out.push(f.warn('deprecated_field', `${name} is deprecated.`, `Use ${DEPRECATED_INSTEAD[name]}.`, { field: name }));
      continue;
    }
    const removed = TRANSCRIPT_REMOVED[name];
    if (removed && fields === TRANSCRIPT_FIELDS) {
      out.push(
        f.warn('removed_field', `${name} is gone from the current API (older SDKs still send it).`, `Use ${removed.instead}.`, {
          field: name,
        }),
      );
      continue;
    }
    if (extraKnown.includes(name)) continue;
    const near = suggestField(name, known);
    out.push(
      near
        ? f.fail(
            'unknown_field',
            `"${name}" is not a field of this request; it is ignored, so the option silently does nothing.`,
            `Did you mean "${near}"?`,
            { field: name, suggestion: near },
          )
        : f.warn(
            'unknown_field',
            `"${name}" is not a field of this request; it is ignored.`,
            'Check the field name against the API reference.',
            { field: name },
          ),
    );
  }
  for (const name of required) {
    if (body[name] === undefined && !out.some((x) => x.evidence?.suggestion === name)) {
      out.push(f.fail('missing_field', `The required field ${name} is missing.`, `Add "${name}".`, { field: name }));
    }
  }
  return out;
}

/** Why a body is not JSON, in the terms of the usual culprits. */
function jsonHint(text: string): string {
  if (/^\s*\{\s*'/.test(text) || /:\s*'[^']*'/.test(text)) return 'JSON needs double quotes, not single quotes.';
  if (/“|”/.test(text)) return 'Replace the typographic quotes (“ ”) with plain double quotes.';
  if (/,\s*[}\]]/.test(text)) return 'Remove the trailing comma before } or ].';
  if (/:\s*(True|False|None)\b/.test(text)) return 'JSON writes true, false and null in lower case.';
  if (/[{,]\s*[A-Za-z_][A-Za-z0-9_]*\s*:/.test(text)) return 'Put the field names in double quotes.';
  if (/^\s*\{[^"]*:[^"]*\}\s*$/.test(text))
    return 'The shell ate the double quotes: wrap the whole JSON in single quotes (bash) or escape the inner quotes as \\" (cmd).';
  return 'Check the JSON with a validator (e.g. jq . < body.json).';
}

export interface RequestCheck {
  parsed: ParsedRequest | null;
  findings: Finding[];
  /** The key and header name as the request sends them, for the live auth check. */
  auth: { headerName: string; value: string } | null;
  /** Origin of the request's URL, for the live checks. */
  origin: string | null;
}

/**
 * Reads a pasted request (curl or raw HTTP) and points at its mistakes: auth header form, method
 * and path, upload flags and Content-Type, and the JSON body's field names and types against the
 * OpenAPI schema. Header-name case is fine and never reported.
 */
export function checkPastedRequest(
  text: string,
  opts: {
    env?: Record<string, string | undefined>;
    fileExists?: (path: string) => boolean;
    readFile?: (path: string) => string | null;
  } = {},
): RequestCheck {
  const env = opts.env ?? {};
  const fileExists = opts.fileExists ?? existsSync;
  const req = parsePastedRequest(text, env);
  if (!req) {
    return {
      parsed: null,
      findings: [
        f.fail(
          'unparsable',
          'This is neither a curl command nor a raw HTTP request.',
          'Paste the full command starting with curl, or the request starting with e.g. "POST /v2/transcript HTTP/1.1".',
        ),
      ],
      auth: null,
      origin: null,
    };
  }
  const out: Finding[] = [];
  const n = req.notes;
  if (n.smartQuotes)
    out.push(
      f.fail(
        'smart_quotes',
        'The command has typographic quotes (“ ” ‘ ’), which the shell sends as characters: headers and JSON break.',
        'Retype the quotes as plain " and \' (copying from a word processor or chat converts them).',
      ),
    );
  for (const v of n.singleQuotedVars)
    out.push(
      f.fail(
        'unexpanded_variable',
        `${v} is inside single quotes, so curl sends the text "${v}" instead of its value.`,
        `Use double quotes around it ("authorization: ${v}"); single quotes keep it literal.`,
        { variable: v },
      ),
    );
  for (const v of n.unsetVars)
    out.push(
      f.warn(
        'variable_not_set',
        `$${v} is not set in this shell; if it is empty when the command runs, its header or field is empty.`,
        `export ${v}=… before running the command (echo "$${v}" to check).`,
        { variable: v },
      ),
    );

  if (!req.url)
    return {
      parsed: req,
      findings: [
        ...out,
        f.fail('missing_url', 'The request has no URL.', 'Add the full URL, e.g. https://api.assemblyai.com/v2/transcript.'),
      ],
      auth: null,
      origin: null,
    };
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(req.url) ? req.url : `https://${req.url}`);
  } catch {
    return {
      parsed: req,
      findings: [
        ...out,
        f.fail('bad_url', `"${req.url}" is not a URL.`, 'Use the full URL, e.g. https://api.assemblyai.com/v2/transcript.'),
      ],
      auth: null,
      origin: null,
    };
  }
  if (url.protocol === 'ws:' || url.protocol === 'wss:') {
    out.push(
      f.fail(
        'websocket_with_curl',
        `${url.protocol}// is a streaming WebSocket: curl cannot stream audio to it.`,
        "Use an SDK's streaming client, earshot stream FILE, or a WebSocket tool (websocat).",
      ),
    );
    return { parsed: req, findings: out, auth: null, origin: null };
  }
  const host = url.hostname.toLowerCase();
  const cloud = /(^|\.)assemblyai\.com$/.test(host);
  let path = url.pathname;
  if (/\/\//.test(path)) {
    out.push(
      f.warn(
        'double_slash',
        `The path ${path} has a double slash (the base URL ends with / and the path starts with /).`,
        'Remove the extra slash.',
        { path },
      ),
    );
    path = path.replace(/\/{2,}/g, '/');
  }
  if (path.length > 1 && path.endsWith('/')) {
    out.push(
      f.warn('trailing_slash', `The path ${path} ends with a slash; the API's paths do not.`, `Use ${path.replace(/\/+$/, '')}.`, { path }),
    );
    path = path.replace(/\/+$/, '');
  }
  const route = ROUTES.find((r) => r.pattern.test(path)) ?? null;
  const isStreamingHost = CLOUD_STREAMING_HOSTS.includes(host);

  if (/assembl/.test(host) && !CLOUD_API_HOSTS.includes(host) && !isStreamingHost) {
    out.push(
      f.fail(
        'wrong_host',
        `${host} is not an AssemblyAI API host.`,
        'Use https://api.assemblyai.com (EU: https://api.eu.assemblyai.com).',
        { host },
      ),
    );
  } else if (cloud && route?.name === 'v3-token' && !isStreamingHost) {
    out.push(
      f.fail(
        'wrong_host',
        `v3 streaming tokens come from streaming.assemblyai.com, not ${host}.`,
        'Use https://streaming.assemblyai.com/v3/token?expires_in_seconds=60.',
        { host },
      ),
    );
  } else if (isStreamingHost && route && route.name !== 'v3-token' && route.name !== 'websocket') {
    out.push(
      f.fail(
        'wrong_host',
        `${host} serves streaming only; ${path} lives on api.assemblyai.com.`,
        `Use https://api.assemblyai.com${path}.`,
        { host },
      ),
    );
  }
  if (cloud && url.protocol === 'http:')
    out.push(f.warn('plain_http', 'The request uses http:// to AssemblyAI: the key crosses the network in clear text.', 'Use https://.'));

  if (!route) {
    const shape = path.replace(/\/[0-9a-f]{8}-[0-9a-f-]{27,}(?=\/|$)/gi, '/{id}');
    const near = KNOWN_PATHS.reduce((a, p) => (levenshtein(shape, p) < levenshtein(shape, a) ? p : a), KNOWN_PATHS[0]!);
    out.push(
      f.fail(
        'unknown_path',
        `${path} is not an API path (the answer is 404).`,
        levenshtein(shape, near) <= Math.max(4, near.length / 3)
          ? `Did you mean ${near}?`
          : `The paths start with /v2/ (e.g. /v2/transcript).`,
        { path },
      ),
    );
  } else {
    const m = route.pattern.exec(path)!;
    const id = m[1];
    if (
      id &&
      ['transcript', 'transcript-sub', 'upload-get', 'lemur-get'].includes(route.name) &&
      /^[{<:]|[}>]$|^(transcript_?id|your_transcript_id|id|upload_?id)$/i.test(decodeURIComponent(id))
    ) {
      out.push(
        f.fail(
          'placeholder_id',
          `The path has the placeholder "${decodeURIComponent(id)}" instead of a real id.`,
          'Put the id from the POST /v2/transcript answer (its "id" field) in the path.',
          { id },
        ),
      );
    }
    if (route.name === 'transcripts' && req.method === 'GET' && req.data.length > 0 && !req.get) {
      out.push(
        f.fail(
          'wrong_method',
          'GET /v2/transcript with a body lists transcripts and ignores the body: -X GET overrides the POST curl makes with -d.',
          'Use POST /v2/transcript (drop -X GET) to create a transcript.',
          { method: req.method },
        ),
      );
    } else if (!route.methods.includes(req.method)) {
      const hint =
        req.method === 'GET' && route.methods.includes('POST') && req.data.length > 0
          ? ' -X GET with a body: drop -X GET (curl POSTs when given -d).'
          : req.method === 'POST' && route.name === 'transcript'
            ? ' To create a transcript, POST to /v2/transcript (no id); to read one, GET /v2/transcript/{id}.'
            : req.method === 'PUT' && route.name === 'upload'
              ? ' Upload with -X POST --data-binary @file (curl -T sends PUT).'
              : '';
      out.push(
        f.fail(
          'wrong_method',
          `${req.method} ${route.display} is not an API call: it takes ${route.methods.join(' or ')}.${hint}`,
          `Use ${route.methods[0]} ${route.display}.`,
          { method: req.method },
        ),
      );
    }
  }

  // Auth
  let auth: RequestCheck['auth'] = null;
  const needsAuth = route?.name !== 'health' && route?.name !== 'websocket';
  for (const h of req.headers) {
    if (h.malformed)
      out.push(
        f.fail(
          'malformed_header',
          `The header "${h.name}" has no colon, so curl does not send it.`,
          `Write it as "Name: value", e.g. "authorization: KEY".`,
          { header: h.name },
        ),
      );
  }
  const authHeaders = req.headers.filter((h) => !h.malformed && h.name.toLowerCase() === 'authorization');
  const altHeader = req.headers.find((h) => !h.malformed && ALT_AUTH_HEADERS.test(h.name));
  const keyInQuery = [...url.searchParams.keys()].find(
    (k) => /^(api_?key|apikey|key|authorization)$/i.test(k) || (k === 'token' && route?.name !== 'websocket'),
  );
  if (authHeaders.length > 1)
    out.push(f.warn('duplicate_header', `Authorization is sent ${authHeaders.length} times; servers read one of them.`, 'Send it once.'));
  if (req.basicAuth !== null) {
    out.push(
      f.fail(
        'basic_auth',
        'The request uses -u (HTTP Basic auth); the API takes the key in the Authorization header, not a user and password.',
        'Replace -u … with -H "authorization: KEY".',
      ),
    );
  }
  if (keyInQuery)
    out.push(
      f.fail(
        'key_in_query',
        `The key is sent as ?${keyInQuery}= in the URL; the REST API reads it only from the Authorization header.`,
        `Send -H "authorization: KEY" and drop ?${keyInQuery}= (URLs end up in logs).`,
      ),
    );
  if (authHeaders.length > 0) {
    const h = authHeaders[0]!;
    auth = { headerName: h.name, value: h.value };
    const v = h.value;
    if (v === '') out.push(f.fail('empty_key', 'The Authorization header is empty.', 'Put the API key after "authorization: ".'));
    else if (/^\$\{?[A-Za-z_]/.test(v)) {
      /* a variable: reported above when it will not expand */
    } else if (/^bearer\s+/i.test(v)) {
      out.push(
        cloud
          ? f.fail(
              'bearer_prefix',
              'The key is sent as "Bearer KEY"; AssemblyAI expects the bare key and answers 401.',
              'Send "authorization: KEY" (no "Bearer ").',
            )
          : f.warn(
              'bearer_prefix',
              'The key is sent as "Bearer KEY": Earshot accepts it, AssemblyAI does not (401).',
              'Send "authorization: KEY" (no "Bearer ") to work against both.',
            ),
      );
    } else if (/^(token|basic|key|apikey|api-key)\s+/i.test(v)) {
      out.push(
        f.fail('auth_scheme', `The key is sent as "${v.split(/\s+/)[0]} KEY"; the API expects the bare key.`, 'Send "authorization: KEY".'),
      );
    } else if (/^["'“”‘’].*["'“”‘’]$/.test(v)) {
      out.push(
        f.fail(
          'key_quoted',
          'The key is wrapped in quotes, which are sent as part of it (401).',
          'Remove the quotes around the key inside the header.',
        ),
      );
    } else if (PLACEHOLDER.test(v)) {
      out.push(
        f.fail(
          'placeholder_key',
          `The key is the placeholder "${v}".`,
          'Put your API key there (or "$ASSEMBLYAI_API_KEY" in double quotes).',
        ),
      );
    } else if (/\s/.test(v)) {
      out.push(f.fail('key_whitespace', 'The key has a space inside it.', 'Paste the key again without spaces.'));
    }
  } else if (altHeader) {
    auth = { headerName: altHeader.name, value: altHeader.value };
    out.push(
      f.fail(
        'wrong_auth_header',
        `The key is sent in "${altHeader.name}"; the API reads it only from "Authorization" (401).`,
        `Rename the header: -H "authorization: ${altHeader.value ? 'KEY' : ''}".`,
        { header: altHeader.name },
      ),
    );
  } else if (needsAuth && req.basicAuth === null && !keyInQuery) {
    out.push(
      f.fail(
        'missing_auth',
        'The request sends no API key (401).',
        'Add -H "authorization: $ASSEMBLYAI_API_KEY" (the bare key, in double quotes so the shell expands it).',
      ),
    );
  }

  // Bodies
  const contentType = req.headers.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? null;
  const filesRead = [
    ...req.data.filter((d) => d.file).map((d) => d.file!),
    ...req.form.filter((p) => p.file).map((p) => p.file!),
    ...(req.uploadFile ? [req.uploadFile] : []),
  ];
  for (const file of filesRead) {
    if (file !== '-' && !fileExists(file))
      out.push(
        f.warn(
          'file_not_found',
          `The file ${file} does not exist here (relative to the current directory).`,
          'Check the path: curl sends an empty body or fails when the file is missing.',
          { file },
        ),
      );
  }
  // A JSON body in a file (-d @body.json) is read when the caller can, so its fields get checked too.
  const bodyText = req.data.map((d) => (d.file && !AUDIO_EXT.test(d.file) ? (opts.readFile?.(d.file) ?? '') : d.text)).join('&');
  const unreadable = req.data.some((d) => d.file && (AUDIO_EXT.test(d.file) || opts.readFile?.(d.file) == null));

  if (route?.name === 'upload') {
    if (req.form.length > 0) {
      out.push(
        f.fail(
          'upload_multipart',
          '/v2/upload takes the raw file bytes, not a multipart form (-F): the form wrapper would be stored as the "audio".',
          'Use --data-binary @FILE with -H "content-type: application/octet-stream".',
        ),
      );
    } else if (req.data.length === 0 && !req.uploadFile) {
      out.push(f.fail('upload_empty', 'The upload has no body.', 'Add --data-binary @FILE.'));
    } else {
      for (const d of req.data) {
        if (d.file && d.flag === '-d')
          out.push(
            f.fail(
              'upload_data_flag',
              `-d @${d.file} strips line breaks from the file, corrupting audio.`,
              `Use --data-binary @${d.file}.`,
              { file: d.file },
            ),
          );
        else if (!d.file && d.flag !== '--json' && AUDIO_EXT.test(d.text.trim()))
          out.push(
            f.fail(
              'upload_missing_at',
              `The body is the text "${d.text}", not the file: the @ is missing.`,
              `Use --data-binary @${d.text.trim()}.`,
              { text: d.text },
            ),
          );
        else if (!d.file && d.flag !== '--json')
          out.push(f.warn('upload_not_file', 'The upload body is literal text, not a file.', 'Use --data-binary @FILE to send a file.'));
      }
    }
    if (contentType && /json|form|text\//i.test(contentType)) {
      out.push(
        f.warn(
          'upload_content_type',
          `The upload is sent as Content-Type: ${contentType}; uploads are raw bytes.`,
          'Send -H "content-type: application/octet-stream" (or none).',
          { content_type: contentType },
        ),
      );
    }
  }

  const jsonRoute =
    route?.name === 'transcripts' && req.method === 'POST'
      ? 'transcript'
      : route?.name === 'lemur'
        ? 'lemur'
        : route?.name === 'v2-token'
          ? 'v2-token'
          : null;
  if (jsonRoute) {
    if (req.form.length > 0) {
      out.push(
        f.fail(
          'form_instead_of_json',
          `${route!.display} takes a JSON body, not a form (-F).`,
          `Send -H "content-type: application/json" -d '{"audio_url": "https://…"}'.`,
        ),
      );
    } else if (req.data.some((d) => d.file && AUDIO_EXT.test(d.file)) || (req.uploadFile && AUDIO_EXT.test(req.uploadFile))) {
      out.push(
        f.fail(
          'audio_to_transcript',
          `The audio file is sent to ${route!.display}, which takes JSON with an audio_url.`,
          'Upload it first (POST /v2/upload --data-binary @FILE), then POST /v2/transcript with {"audio_url": "<upload_url>"}.',
        ),
      );
    } else if (req.data.length === 0) {
      if (jsonRoute !== 'v2-token')
        out.push(f.fail('missing_body', `${route!.display} needs a JSON body.`, `Add -d '{"audio_url": "https://…"}'.`));
    } else if (unreadable) {
      /* the body is in a file that cannot be read here */
    } else {
      let body: unknown;
      try {
        body = JSON.parse(bodyText);
      } catch (err) {
        const formEncoded = /^[\w.]+=[^{]*(&[\w.]+=.*)*$/.test(bodyText.trim());
        out.push(
          formEncoded
            ? f.fail(
                'form_encoded_body',
                `The body is form-encoded (${bodyText.slice(0, 40)}…), not JSON.`,
                `Send JSON: -d '{"audio_url": "https://…"}'.`,
              )
            : f.fail('invalid_json', `The body is not valid JSON (${(err as Error).message}).`, jsonHint(bodyText), {
                body: bodyText.slice(0, 200),
              }),
        );
      }
      if (body !== undefined) {
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          out.push(f.fail('body_not_object', 'The JSON body must be an object ({…}).', 'Send {"audio_url": "https://…"}.'));
        } else {
          const b = body as Record<string, unknown>;
          if (jsonRoute === 'transcript') {
            out.push(...checkJsonFields(b, TRANSCRIPT_FIELDS, ['audio_url']));
            if (b.speech_models === undefined) {
              out.push(
                cloud
                  ? f.fail(
                      'missing_speech_models',
                      'speech_models is missing; the current AssemblyAI API requires it (400 without it).',
                      'Add "speech_models": ["universal-3-pro", "universal-2"].',
                    )
                  : f.info(
                      'missing_speech_models',
                      "speech_models is missing: Earshot does not need it, AssemblyAI's current API does.",
                      'Add "speech_models": ["universal-3-pro", "universal-2"] to work against both.',
                    ),
              );
            }
            if (typeof b.audio_url === 'string') out.push(...checkAudioUrlValue(b.audio_url.trim(), cloud));
            if (typeof b.webhook_url === 'string') {
              try {
                const w = new URL(b.webhook_url);
                if (w.protocol !== 'http:' && w.protocol !== 'https:') throw new Error();
                if (hostKind(w.hostname) === 'private') {
                  out.push(
                    cloud
                      ? f.fail(
                          'webhook_private',
                          `webhook_url points at ${w.hostname}, which AssemblyAI cannot reach: the webhook never arrives.`,
                          'Expose the receiver with a tunnel (ngrok http PORT, cloudflared tunnel --url http://localhost:PORT) and use its https URL.',
                        )
                      : f.warn(
                          'webhook_private',
                          `webhook_url points at ${w.hostname}: reachable only by a server on the same machine or network, not in public mode.`,
                          'Use an address the server can reach, or a tunnel.',
                        ),
                  );
                }
              } catch {
                out.push(f.fail('bad_webhook_url', `webhook_url "${b.webhook_url}" is not an http(s) URL.`, 'Give a full https:// URL.'));
              }
            }
            if ((b.webhook_auth_header_name == null) !== (b.webhook_auth_header_value == null)) {
              out.push(
                f.fail(
                  'webhook_auth_incomplete',
                  'Only one of webhook_auth_header_name and webhook_auth_header_value is set.',
                  'Set both (the header name and its secret value), or neither.',
                ),
              );
            }
            if (typeof b.audio_start_from === 'number' && typeof b.audio_end_at === 'number' && b.audio_end_at <= b.audio_start_from) {
              out.push(
                f.fail(
                  'bad_range',
                  `audio_end_at (${b.audio_end_at}) is not after audio_start_from (${b.audio_start_from}); both are milliseconds.`,
                  'Make audio_end_at greater than audio_start_from (times in ms, not seconds).',
                ),
              );
            }
            if (typeof b.language_code === 'string' && !/^[a-z]{2,3}(_[a-z]{2})?$/.test(b.language_code)) {
              const near = b.language_code.toLowerCase().replace('-', '_');
              out.push(
                f.fail(
                  'bad_value',
                  `language_code is "${b.language_code}"; codes look like en_us, en, es, de.`,
                  `Did you mean "${near}"?`,
                  { field: 'language_code', value: b.language_code },
                ),
              );
            }
          } else if (jsonRoute === 'lemur') {
            const kind = /generate\/([\w-]+)$/.exec(path)![1]!;
            const table = LEMUR_FIELDS[kind]!;
            // The Python SDK (≤ 0.65) sends `sources` instead of transcript_ids.
            out.push(...checkJsonFields(b, table.fields, table.required, ['sources']));
            if (
              b.transcript_ids === undefined &&
              b.input_text === undefined &&
              b.sources === undefined &&
              !out.some((x) => x.evidence?.suggestion === 'transcript_ids')
            ) {
              out.push(
                f.fail(
                  'lemur_missing_input',
                  'LeMUR needs transcript_ids (a list) or input_text.',
                  'Add "transcript_ids": ["<transcript id>"].',
                ),
              );
            }
          } else if (jsonRoute === 'v2-token') {
            out.push(...checkJsonFields(b, { expires_in: { type: 'integer', min: 60, max: 360_000 } }, ['expires_in']));
          }
        }
      }
    }
  }
  if (route?.name === 'v2-token' && req.data.length === 0)
    out.push(
      f.fail('missing_field', 'POST /v2/realtime/token needs {"expires_in": SECONDS} (at least 60).', `Add -d '{"expires_in": 3600}'.`, {
        field: 'expires_in',
      }),
    );
  if (route?.name === 'v3-token') {
    const e = url.searchParams.get('expires_in_seconds');
    if (e === null)
      out.push(
        f.fail('missing_param', '/v3/token needs ?expires_in_seconds= (1–600).', 'Add ?expires_in_seconds=60.', {
          param: 'expires_in_seconds',
        }),
      );
    else if (!/^\d+$/.test(e) || Number(e) < 1 || Number(e) > 600)
      out.push(
        f.fail(
          'out_of_range',
          `expires_in_seconds=${e}; it must be an integer from 1 to 600.`,
          'Use e.g. expires_in_seconds=60; the token is single-use, make one per session.',
          { param: 'expires_in_seconds' },
        ),
      );
  }
  if (out.every((x) => x.severity === 'pass' || x.severity === 'info')) {
    out.push(f.pass('looks_right', `${req.method} ${path} looks right.`));
  }
  return { parsed: req, findings: out, auth, origin: url.origin };
}
