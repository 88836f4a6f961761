/**
 * The pasted-request checks as a table: each rule has the code of its finding, when it applies,
 * and the finding it makes. They run in order, which is the order of the report: shell notes, the
 * URL, the method, the key, the files, the upload, the JSON body, the tokens. The few rules that
 * check each part of something in turn (each field of a body against its table in fields.ts, each
 * data part of an upload) are named for what they check; their findings keep their own codes.
 */
import { findingsFor, type Finding } from '../finding.js';
import { AUDIO_EXT, hostKind, type Facts } from './facts.js';
import { checkJsonFields, levenshtein } from './fields.js';
import type { ParsedRequest } from './parsed.js';
import { KNOWN_PATHS } from './routes.js';
import { LEMUR_FIELDS, TRANSCRIPT_FIELDS, TRANSCRIPT_REMOVED } from './schema.js';

const f = findingsFor('request');

type Make = (message: string, fix?: string, evidence?: Record<string, unknown>) => Finding;
/** The finding builders with the rule's code filled in. */
export type Say = Record<'fail' | 'warn' | 'info' | 'pass', Make>;

export interface Rule<T> {
  code: string;
  /** `found`: the findings of the rules before it. */
  when: (c: T, found: readonly Finding[]) => boolean;
  finding: (c: T, say: Say) => Finding | Finding[];
}

/** The findings of the rules that apply, appended to `found` in the table's order. */
export function runRules<T>(rules: readonly Rule<T>[], c: T, found: Finding[] = []): Finding[] {
  for (const rule of rules) {
    if (!rule.when(c, found)) continue;
    const say: Say = {
      fail: (...a) => f.fail(rule.code, ...a),
      warn: (...a) => f.warn(rule.code, ...a),
      info: (...a) => f.info(rule.code, ...a),
      pass: (...a) => f.pass(rule.code, ...a),
    };
    found.push(...[rule.finding(c, say)].flat());
  }
  return found;
}

/** What the shell did to the command, checked before its URL is read. */
export const SHELL_RULES: Rule<ParsedRequest>[] = [
  {
    code: 'smart_quotes',
    when: (req) => req.notes.smartQuotes,
    finding: (_, say) =>
      say.fail(
        'The command has typographic quotes (“ ” ‘ ’), which the shell sends as characters: headers and JSON break.',
        'Retype the quotes as plain " and \' (copying from a word processor or chat converts them).',
      ),
  },
  {
    code: 'unexpanded_variable',
    when: (req) => req.notes.singleQuotedVars.length > 0,
    finding: (req, say) =>
      req.notes.singleQuotedVars.map((v) =>
        say.fail(
          `${v} is inside single quotes, so curl sends the text "${v}" instead of its value.`,
          `Use double quotes around it ("authorization: ${v}"); single quotes keep it literal.`,
          { variable: v },
        ),
      ),
  },
  {
    code: 'variable_not_set',
    when: (req) => req.notes.unsetVars.length > 0,
    finding: (req, say) =>
      req.notes.unsetVars.map((v) =>
        say.warn(
          `$${v} is not set in this shell; if it is empty when the command runs, its header or field is empty.`,
          `export ${v}=… before running the command (echo "$${v}" to check).`,
          { variable: v },
        ),
      ),
  },
];

const isRoute = (c: Facts, ...names: string[]) => c.route !== null && names.includes(c.route.name);
const listWithBody = (c: Facts) => isRoute(c, 'transcripts') && c.req.method === 'GET' && c.req.data.length > 0 && !c.req.get;
const uploadForm = (c: Facts) => isRoute(c, 'upload') && c.req.form.length > 0;
const uploadEmpty = (c: Facts) => isRoute(c, 'upload') && !uploadForm(c) && c.req.data.length === 0 && !c.req.uploadFile;
const noKey = (c: Facts) => c.authHeaders.length === 0;
const transcript = (c: Facts) => (c.jsonRoute === 'transcript' ? c.fields : null);
const invalidBody = (c: Facts) => (c.body?.kind === 'invalid' ? c.body : null);
/** audio_url as a URL the service would fetch (http or https). */
const fetched = (c: Facts) => {
  const u = c.audioUrlLocal ? null : c.audioUrl?.url;
  return u && (u.protocol === 'http:' || u.protocol === 'https:') ? u : null;
};
const UPLOAD_FIRST = 'Upload the file with POST /v2/upload (--data-binary @file) and use the upload_url it returns.';

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

/** One data part of an upload: read with -d (which strips line breaks), a file name without its @, or literal text. */
function uploadPartFinding(d: ParsedRequest['data'][number]): Finding | null {
  if (d.file && d.flag === '-d')
    return f.fail(
      'upload_data_flag',
      `-d @${d.file} strips line breaks from the file, corrupting audio.`,
      `Use --data-binary @${d.file}.`,
      { file: d.file },
    );
  if (d.file || d.flag === '--json') return null;
  if (AUDIO_EXT.test(d.text.trim()))
    return f.fail(
      'upload_missing_at',
      `The body is the text "${d.text}", not the file: the @ is missing.`,
      `Use --data-binary @${d.text.trim()}.`,
      { text: d.text },
    );
  return f.warn('upload_not_file', 'The upload body is literal text, not a file.', 'Use --data-binary @FILE to send a file.');
}

/** The checks of a request whose URL parsed, in report order. */
export const RULES: Rule<Facts>[] = [
  // The URL
  {
    code: 'double_slash',
    when: (c) => /\/\//.test(c.sentPath),
    finding: (c, say) =>
      say.warn(
        `The path ${c.sentPath} has a double slash (the base URL ends with / and the path starts with /).`,
        'Remove the extra slash.',
        { path: c.sentPath },
      ),
  },
  {
    code: 'trailing_slash',
    when: (c) => c.singlePath !== c.path,
    finding: (c, say) =>
      say.warn(`The path ${c.singlePath} ends with a slash; the API's paths do not.`, `Use ${c.path}.`, { path: c.singlePath }),
  },
  {
    code: 'wrong_host',
    when: (c) => /assembl/.test(c.host) && !c.apiHost && !c.streamingHost,
    finding: (c, say) =>
      say.fail(`${c.host} is not an AssemblyAI API host.`, 'Use https://api.assemblyai.com (EU: https://api.eu.assemblyai.com).', {
        host: c.host,
      }),
  },
  {
    code: 'wrong_host',
    when: (c) => c.apiHost && isRoute(c, 'v3-token'),
    finding: (c, say) =>
      say.fail(
        `v3 streaming tokens come from streaming.assemblyai.com, not ${c.host}.`,
        'Use https://streaming.assemblyai.com/v3/token?expires_in_seconds=60.',
        { host: c.host },
      ),
  },
  {
    code: 'wrong_host',
    when: (c) => c.streamingHost && c.route !== null && !isRoute(c, 'v3-token', 'websocket'),
    finding: (c, say) =>
      say.fail(`${c.host} serves streaming only; ${c.path} lives on api.assemblyai.com.`, `Use https://api.assemblyai.com${c.path}.`, {
        host: c.host,
      }),
  },
  {
    code: 'plain_http',
    when: (c) => c.cloud && c.url.protocol === 'http:',
    finding: (_, say) => say.warn('The request uses http:// to AssemblyAI: the key crosses the network in clear text.', 'Use https://.'),
  },
  {
    code: 'unknown_path',
    when: (c) => c.route === null,
    finding: (c, say) => {
      const shape = c.path.replace(/\/[0-9a-f]{8}-[0-9a-f-]{27,}(?=\/|$)/gi, '/{id}');
      const near = KNOWN_PATHS.reduce((a, p) => (levenshtein(shape, p) < levenshtein(shape, a) ? p : a), KNOWN_PATHS[0]!);
      return say.fail(
        `${c.path} is not an API path (the answer is 404).`,
        levenshtein(shape, near) <= Math.max(4, near.length / 3)
          ? `Did you mean ${near}?`
          : `The paths start with /v2/ (e.g. /v2/transcript).`,
        { path: c.path },
      );
    },
  },
  {
    code: 'placeholder_id',
    when: (c) =>
      c.id !== undefined &&
      isRoute(c, 'transcript', 'transcript-sub', 'upload-get', 'lemur-get') &&
      /^[{<:]|[}>]$|^(transcript_?id|your_transcript_id|id|upload_?id)$/i.test(decodeURIComponent(c.id)),
    finding: (c, say) =>
      say.fail(
        `The path has the placeholder "${decodeURIComponent(c.id!)}" instead of a real id.`,
        'Put the id from the POST /v2/transcript answer (its "id" field) in the path.',
        { id: c.id },
      ),
  },
  // The method
  {
    code: 'wrong_method',
    when: listWithBody,
    finding: (c, say) =>
      say.fail(
        'GET /v2/transcript with a body lists transcripts and ignores the body: -X GET overrides the POST curl makes with -d.',
        'Use POST /v2/transcript (drop -X GET) to create a transcript.',
        { method: c.req.method },
      ),
  },
  {
    code: 'wrong_method',
    when: (c) => c.route !== null && !listWithBody(c) && !c.route.methods.includes(c.req.method),
    finding: ({ req, route }, say) => {
      const hint =
        req.method === 'GET' && route!.methods.includes('POST') && req.data.length > 0
          ? ' -X GET with a body: drop -X GET (curl POSTs when given -d).'
          : req.method === 'POST' && route!.name === 'transcript'
            ? ' To create a transcript, POST to /v2/transcript (no id); to read one, GET /v2/transcript/{id}.'
            : req.method === 'PUT' && route!.name === 'upload'
              ? ' Upload with -X POST --data-binary @file (curl -T sends PUT).'
              : '';
      return say.fail(
        `${req.method} ${route!.display} is not an API call: it takes ${route!.methods.join(' or ')}.${hint}`,
        `Use ${route!.methods[0]} ${route!.display}.`,
        { method: req.method },
      );
    },
  },
  // The key
  {
    code: 'malformed_header',
    when: (c) => c.req.headers.some((h) => h.malformed),
    finding: (c, say) =>
      c.req.headers
        .filter((h) => h.malformed)
        .map((h) =>
          say.fail(
            `The header "${h.name}" has no colon, so curl does not send it.`,
            `Write it as "Name: value", e.g. "authorization: KEY".`,
            {
              header: h.name,
            },
          ),
        ),
  },
  {
    code: 'duplicate_header',
    when: (c) => c.authHeaders.length > 1,
    finding: (c, say) => say.warn(`Authorization is sent ${c.authHeaders.length} times; servers read one of them.`, 'Send it once.'),
  },
  {
    code: 'basic_auth',
    when: (c) => c.req.basicAuth !== null,
    finding: (_, say) =>
      say.fail(
        'The request uses -u (HTTP Basic auth); the API takes the key in the Authorization header, not a user and password.',
        'Replace -u … with -H "authorization: KEY".',
      ),
  },
  {
    code: 'key_in_query',
    when: (c) => c.keyInQuery !== undefined,
    finding: (c, say) =>
      say.fail(
        `The key is sent as ?${c.keyInQuery}= in the URL; the REST API reads it only from the Authorization header.`,
        `Send -H "authorization: KEY" and drop ?${c.keyInQuery}= (URLs end up in logs).`,
      ),
  },
  {
    code: 'empty_key',
    when: (c) => c.keyProblem === 'empty',
    finding: (_, say) => say.fail('The Authorization header is empty.', 'Put the API key after "authorization: ".'),
  },
  {
    code: 'bearer_prefix',
    when: (c) => c.keyProblem === 'bearer',
    finding: (c, say) =>
      c.cloud
        ? say.fail(
            'The key is sent as "Bearer KEY"; AssemblyAI expects the bare key and answers 401.',
            'Send "authorization: KEY" (no "Bearer ").',
          )
        : say.warn(
            'The key is sent as "Bearer KEY": Earshot accepts it, AssemblyAI does not (401).',
            'Send "authorization: KEY" (no "Bearer ") to work against both.',
          ),
  },
  {
    code: 'auth_scheme',
    when: (c) => c.keyProblem === 'scheme',
    finding: (c, say) =>
      say.fail(
        `The key is sent as "${c.authHeaders[0]!.value.split(/\s+/)[0]} KEY"; the API expects the bare key.`,
        'Send "authorization: KEY".',
      ),
  },
  {
    code: 'key_quoted',
    when: (c) => c.keyProblem === 'quoted',
    finding: (_, say) =>
      say.fail('The key is wrapped in quotes, which are sent as part of it (401).', 'Remove the quotes around the key inside the header.'),
  },
  {
    code: 'placeholder_key',
    when: (c) => c.keyProblem === 'placeholder',
    finding: (c, say) =>
      say.fail(
        `The key is the placeholder "${c.authHeaders[0]!.value}".`,
        'Put your API key there (or "$ASSEMBLYAI_API_KEY" in double quotes).',
      ),
  },
  {
    code: 'key_whitespace',
    when: (c) => c.keyProblem === 'whitespace',
    finding: (_, say) => say.fail('The key has a space inside it.', 'Paste the key again without spaces.'),
  },
  {
    code: 'wrong_auth_header',
    when: (c) => noKey(c) && c.altHeader !== undefined,
    finding: ({ altHeader }, say) =>
      say.fail(
        `The key is sent in "${altHeader!.name}"; the API reads it only from "Authorization" (401).`,
        `Rename the header: -H "authorization: ${altHeader!.value ? 'KEY' : ''}".`,
        { header: altHeader!.name },
      ),
  },
  {
    code: 'missing_auth',
    when: (c) => noKey(c) && c.altHeader === undefined && c.needsAuth && c.req.basicAuth === null && c.keyInQuery === undefined,
    finding: (_, say) =>
      say.fail(
        'The request sends no API key (401).',
        'Add -H "authorization: $ASSEMBLYAI_API_KEY" (the bare key, in double quotes so the shell expands it).',
      ),
  },
  // The files it reads
  {
    code: 'file_not_found',
    when: (c) => c.filesRead.some((file) => file !== '-' && !c.fileExists(file)),
    finding: (c, say) =>
      c.filesRead
        .filter((file) => file !== '-' && !c.fileExists(file))
        .map((file) =>
          say.warn(
            `The file ${file} does not exist here (relative to the current directory).`,
            'Check the path: curl sends an empty body or fails when the file is missing.',
            { file },
          ),
        ),
  },
  // An upload
  {
    code: 'upload_multipart',
    when: uploadForm,
    finding: (_, say) =>
      say.fail(
        '/v2/upload takes the raw file bytes, not a multipart form (-F): the form wrapper would be stored as the "audio".',
        'Use --data-binary @FILE with -H "content-type: application/octet-stream".',
      ),
  },
  {
    code: 'upload_empty',
    when: uploadEmpty,
    finding: (_, say) => say.fail('The upload has no body.', 'Add --data-binary @FILE.'),
  },
  {
    code: 'upload_parts',
    when: (c) => isRoute(c, 'upload') && !uploadForm(c) && c.req.data.length > 0,
    finding: (c) => c.req.data.map(uploadPartFinding).filter((x) => x !== null),
  },
  {
    code: 'upload_content_type',
    when: (c) => isRoute(c, 'upload') && c.contentType !== null && /json|form|text\//i.test(c.contentType),
    finding: (c, say) =>
      say.warn(
        `The upload is sent as Content-Type: ${c.contentType}; uploads are raw bytes.`,
        'Send -H "content-type: application/octet-stream" (or none).',
        { content_type: c.contentType },
      ),
  },
  // A JSON body
  {
    code: 'form_instead_of_json',
    when: (c) => c.body?.kind === 'form',
    finding: (c, say) =>
      say.fail(
        `${c.route!.display} takes a JSON body, not a form (-F).`,
        `Send -H "content-type: application/json" -d '{"audio_url": "https://…"}'.`,
      ),
  },
  {
    code: 'audio_to_transcript',
    when: (c) => c.body?.kind === 'audio',
    finding: (c, say) =>
      say.fail(
        `The audio file is sent to ${c.route!.display}, which takes JSON with an audio_url.`,
        'Upload it first (POST /v2/upload --data-binary @FILE), then POST /v2/transcript with {"audio_url": "<upload_url>"}.',
      ),
  },
  {
    // A v2 token's missing body is the missing_field below.
    code: 'missing_body',
    when: (c) => c.body?.kind === 'none' && c.jsonRoute !== 'v2-token',
    finding: (c, say) => say.fail(`${c.route!.display} needs a JSON body.`, `Add -d '{"audio_url": "https://…"}'.`),
  },
  {
    code: 'form_encoded_body',
    when: (c) => invalidBody(c)?.formEncoded === true,
    finding: (c, say) =>
      say.fail(`The body is form-encoded (${c.bodyText.slice(0, 40)}…), not JSON.`, `Send JSON: -d '{"audio_url": "https://…"}'.`),
  },
  {
    code: 'invalid_json',
    when: (c) => invalidBody(c)?.formEncoded === false,
    finding: (c, say) =>
      say.fail(`The body is not valid JSON (${invalidBody(c)!.error}).`, jsonHint(c.bodyText), {
        body: c.bodyText.slice(0, 200),
      }),
  },
  {
    code: 'body_not_object',
    when: (c) => c.body?.kind === 'json' && c.fields === null,
    finding: (_, say) => say.fail('The JSON body must be an object ({…}).', 'Send {"audio_url": "https://…"}.'),
  },
  // A transcript's body
  {
    code: 'transcript_fields',
    when: (c) => transcript(c) !== null,
    finding: (c) => checkJsonFields(c.fields!, { fields: TRANSCRIPT_FIELDS, required: ['audio_url'], removed: TRANSCRIPT_REMOVED }),
  },
  {
    code: 'missing_speech_models',
    when: (c) => {
      const b = transcript(c);
      return b !== null && b.speech_models === undefined;
    },
    finding: (c, say) =>
      c.cloud
        ? say.fail(
            'speech_models is missing; the current AssemblyAI API requires it (400 without it).',
            'Add "speech_models": ["universal-3-pro", "universal-2"].',
          )
        : say.info(
            "speech_models is missing: Earshot does not need it, AssemblyAI's current API does.",
            'Add "speech_models": ["universal-3-pro", "universal-2"] to work against both.',
          ),
  },
  {
    code: 'audio_url_local',
    when: (c) => c.audioUrlLocal,
    finding: ({ audioUrl }, say) =>
      say.fail(
        `audio_url "${audioUrl!.value}" is a local path: the service cannot read files on your machine ("audio_url should start with http").`,
        UPLOAD_FIRST,
        { audio_url: audioUrl!.value },
      ),
  },
  {
    code: 'bad_audio_url',
    when: (c) => !c.audioUrlLocal && c.audioUrl !== null && c.audioUrl.url === null,
    finding: ({ audioUrl }, say) =>
      say.fail(`audio_url "${audioUrl!.value}" is not a URL.`, 'Give a full https:// URL of the audio file.', {
        audio_url: audioUrl!.value,
      }),
  },
  {
    code: 'audio_url_scheme',
    when: (c) => !c.audioUrlLocal && c.audioUrl?.url != null && fetched(c) === null,
    finding: ({ audioUrl }, say) =>
      say.fail(
        `audio_url uses ${audioUrl!.url!.protocol}; the service fetches only http(s).`,
        'For s3:// or gs://, make a pre-signed https URL; otherwise upload the file.',
        { audio_url: audioUrl!.value },
      ),
  },
  {
    code: 'audio_url_private',
    when: (c) => {
      const u = fetched(c);
      return u !== null && hostKind(u.hostname) === 'private';
    },
    finding: (c, say) => {
      const { hostname } = fetched(c)!;
      const evidence = { audio_url: c.audioUrl!.value };
      return c.cloud
        ? say.fail(`audio_url points at ${hostname}, which AssemblyAI's servers cannot reach.`, UPLOAD_FIRST, evidence)
        : say.warn(
            `audio_url points at ${hostname}: fine for a server on the same machine or network, refused by one in public mode (EARSHOT_PUBLIC).`,
            UPLOAD_FIRST,
            evidence,
          );
    },
  },
  {
    code: 'audio_url_webpage',
    when: (c) => {
      const u = fetched(c);
      return (
        u !== null &&
        (/(^|\.)(youtube\.com|youtu\.be)$/i.test(u.hostname) ||
          (/drive\.google\.com$/i.test(u.hostname) && /\/view|\/edit/.test(u.pathname)) ||
          (/dropbox\.com$/i.test(u.hostname) && u.searchParams.get('dl') === '0'))
      );
    },
    finding: (c, say) =>
      say.fail(
        `audio_url ${c.audioUrl!.value} is a web page, not an audio file ("File does not appear to contain audio. File type is text/html").`,
        /dropbox/i.test(fetched(c)!.hostname)
          ? 'Use ?dl=1 instead of ?dl=0.'
          : 'Link to the audio file itself (Drive: https://drive.google.com/uc?export=download&id=FILE_ID), or download and upload it.',
        { audio_url: c.audioUrl!.value },
      ),
  },
  {
    code: 'webhook_private',
    when: (c) => c.webhookUrl?.url != null && hostKind(c.webhookUrl.url.hostname) === 'private',
    finding: (c, say) => {
      const { hostname } = c.webhookUrl!.url!;
      return c.cloud
        ? say.fail(
            `webhook_url points at ${hostname}, which AssemblyAI cannot reach: the webhook never arrives.`,
            'Expose the receiver with a tunnel (ngrok http PORT, cloudflared tunnel --url http://localhost:PORT) and use its https URL.',
          )
        : say.warn(
            `webhook_url points at ${hostname}: reachable only by a server on the same machine or network, not in public mode.`,
            'Use an address the server can reach, or a tunnel.',
          );
    },
  },
  {
    code: 'bad_webhook_url',
    when: (c) => c.webhookUrl !== null && c.webhookUrl.url === null,
    finding: (c, say) => say.fail(`webhook_url "${c.webhookUrl!.value}" is not an http(s) URL.`, 'Give a full https:// URL.'),
  },
  {
    code: 'webhook_auth_incomplete',
    when: (c) => {
      const b = transcript(c);
      return b !== null && (b.webhook_auth_header_name == null) !== (b.webhook_auth_header_value == null);
    },
    finding: (_, say) =>
      say.fail(
        'Only one of webhook_auth_header_name and webhook_auth_header_value is set.',
        'Set both (the header name and its secret value), or neither.',
      ),
  },
  {
    code: 'bad_range',
    when: (c) => {
      const b = transcript(c);
      return typeof b?.audio_start_from === 'number' && typeof b.audio_end_at === 'number' && b.audio_end_at <= b.audio_start_from;
    },
    finding: (c, say) => {
      const { audio_start_from: start, audio_end_at: end } = c.fields!;
      return say.fail(
        `audio_end_at (${end}) is not after audio_start_from (${start}); both are milliseconds.`,
        'Make audio_end_at greater than audio_start_from (times in ms, not seconds).',
      );
    },
  },
  {
    code: 'bad_value',
    when: (c) => {
      const code = transcript(c)?.language_code;
      return typeof code === 'string' && !/^[a-z]{2,3}(_[a-z]{2})?$/.test(code);
    },
    finding: (c, say) => {
      const code = c.fields!.language_code as string;
      return say.fail(
        `language_code is "${code}"; codes look like en_us, en, es, de.`,
        `Did you mean "${code.toLowerCase().replace('-', '_')}"?`,
        {
          field: 'language_code',
          value: code,
        },
      );
    },
  },
  // A LeMUR request's body
  {
    code: 'lemur_fields',
    when: (c) => c.jsonRoute === 'lemur' && c.fields !== null,
    // The Python SDK (≤ 0.65) sends `sources` instead of transcript_ids.
    finding: (c) => checkJsonFields(c.fields!, { ...LEMUR_FIELDS[c.id!]!, alsoKnown: ['sources'] }),
  },
  {
    code: 'lemur_missing_input',
    when: (c, found) =>
      c.jsonRoute === 'lemur' &&
      c.fields !== null &&
      c.fields.transcript_ids === undefined &&
      c.fields.input_text === undefined &&
      c.fields.sources === undefined &&
      !found.some((x) => x.evidence?.suggestion === 'transcript_ids'),
    finding: (_, say) => say.fail('LeMUR needs transcript_ids (a list) or input_text.', 'Add "transcript_ids": ["<transcript id>"].'),
  },
  // The tokens
  {
    code: 'v2_token_fields',
    when: (c) => c.jsonRoute === 'v2-token' && c.fields !== null,
    finding: (c) =>
      checkJsonFields(c.fields!, { fields: { expires_in: { type: 'integer', min: 60, max: 360_000 } }, required: ['expires_in'] }),
  },
  {
    code: 'missing_field',
    when: (c) => isRoute(c, 'v2-token') && c.req.data.length === 0,
    finding: (_, say) =>
      say.fail('POST /v2/realtime/token needs {"expires_in": SECONDS} (at least 60).', `Add -d '{"expires_in": 3600}'.`, {
        field: 'expires_in',
      }),
  },
  {
    code: 'missing_param',
    when: (c) => isRoute(c, 'v3-token') && c.url.searchParams.get('expires_in_seconds') === null,
    finding: (_, say) =>
      say.fail('/v3/token needs ?expires_in_seconds= (1–600).', 'Add ?expires_in_seconds=60.', { param: 'expires_in_seconds' }),
  },
  {
    code: 'out_of_range',
    when: (c) => {
      const e = isRoute(c, 'v3-token') ? c.url.searchParams.get('expires_in_seconds') : null;
      return e !== null && (!/^\d+$/.test(e) || Number(e) < 1 || Number(e) > 600);
    },
    finding: (c, say) =>
      say.fail(
        `expires_in_seconds=${c.url.searchParams.get('expires_in_seconds')}; it must be an integer from 1 to 600.`,
        'Use e.g. expires_in_seconds=60; the token is single-use, make one per session.',
        { param: 'expires_in_seconds' },
      ),
  },
  {
    code: 'looks_right',
    when: (_, found) => found.every((x) => x.severity === 'pass' || x.severity === 'info'),
    finding: (c, say) => say.pass(`${c.req.method} ${c.path} looks right.`),
  },
];
