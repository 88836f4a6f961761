import { describe, expect, it } from 'vitest';
import { checkPastedRequest, parsePastedRequest, shellWords, suggestField } from '../../../src/doctor/request/index.js';

const A = 'https://api.assemblyai.com';
const KEY = '-H "authorization: 0123456789abcdef0123456789abcdef"';
const JSON_CT = '-H "content-type: application/json"';
const OK_BODY = `"speech_models": ["universal-2"]`;

/** [what is wrong, the pasted command, the finding it must produce, what its fix must say] */
const BROKEN: [string, string, string, RegExp][] = [
  ['Bearer prefix', `curl ${A}/v2/transcript -H "Authorization: Bearer 0123456789abcdef"`, 'request.bearer_prefix', /no "Bearer "/],
  ['key in X-API-Key', `curl ${A}/v2/transcript -H "X-API-Key: 0123456789abcdef"`, 'request.wrong_auth_header', /authorization/],
  ['key in api-key', `curl ${A}/v2/transcript -H "api-key: 0123456789abcdef"`, 'request.wrong_auth_header', /authorization/],
  ['no key at all', `curl ${A}/v2/transcript`, 'request.missing_auth', /authorization: \$ASSEMBLYAI_API_KEY/],
  [
    'variable in single quotes',
    `curl ${A}/v2/transcript -H 'authorization: $ASSEMBLYAI_API_KEY'`,
    'request.unexpanded_variable',
    /double quotes/,
  ],
  ['key in quotes', `curl ${A}/v2/transcript -H 'authorization: "0123456789abcdef"'`, 'request.key_quoted', /Remove the quotes/],
  ['placeholder key', `curl ${A}/v2/transcript -H "authorization: <YOUR_API_KEY>"`, 'request.placeholder_key', /API key/],
  ['basic auth', `curl -u me:0123456789abcdef ${A}/v2/transcript`, 'request.basic_auth', /-H "authorization: KEY"/],
  ['key in the query string', `curl "${A}/v2/transcript?api_key=0123456789abcdef"`, 'request.key_in_query', /Authorization|authorization/],
  ['header without a colon', `curl ${A}/v2/transcript -H "authorization 0123456789abcdef"`, 'request.malformed_header', /Name: value/],
  ['smart quotes', `curl ${A}/v2/transcript -H “authorization: 0123456789abcdef”`, 'request.smart_quotes', /plain/],
  ['upload with -d @file', `curl -X POST ${A}/v2/upload ${KEY} -d @meeting.mp3`, 'request.upload_data_flag', /--data-binary @meeting\.mp3/],
  [
    'upload as multipart form',
    `curl -X POST ${A}/v2/upload ${KEY} -F file=@meeting.mp3`,
    'request.upload_multipart',
    /--data-binary @FILE/,
  ],
  [
    'upload without the @',
    `curl -X POST ${A}/v2/upload ${KEY} --data-binary meeting.mp3`,
    'request.upload_missing_at',
    /--data-binary @meeting\.mp3/,
  ],
  [
    'upload sent as JSON',
    `curl -X POST ${A}/v2/upload ${KEY} ${JSON_CT} --data-binary @meeting.mp3`,
    'request.upload_content_type',
    /octet-stream/,
  ],
  ['upload with no body', `curl -X POST ${A}/v2/upload ${KEY}`, 'request.upload_empty', /--data-binary @FILE/],
  ['upload with curl -T (PUT)', `curl -T meeting.mp3 ${A}/v2/upload ${KEY}`, 'request.wrong_method', /POST \/v2\/upload/],
  [
    'audio file sent to /v2/transcript',
    `curl ${A}/v2/transcript ${KEY} --data-binary @meeting.mp3`,
    'request.audio_to_transcript',
    /POST \/v2\/upload/,
  ],
  [
    'single-quoted JSON',
    `curl ${A}/v2/transcript ${KEY} -d "{'audio_url': 'https://example.com/a.mp3'}"`,
    'request.invalid_json',
    /double quotes/,
  ],
  [
    'trailing comma in JSON',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3", ${OK_BODY},}'`,
    'request.invalid_json',
    /trailing comma/,
  ],
  [
    'Python literals in JSON',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3", "punctuate": True}'`,
    'request.invalid_json',
    /true, false and null/,
  ],
  ['form-encoded body', `curl ${A}/v2/transcript ${KEY} -d audio_url=https://example.com/a.mp3`, 'request.form_encoded_body', /JSON/],
  [
    'local path as audio_url',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "./meeting.mp3", ${OK_BODY}}'`,
    'request.audio_url_local',
    /\/v2\/upload/,
  ],
  [
    'file:// audio_url',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "file:///home/me/a.wav", ${OK_BODY}}'`,
    'request.audio_url_local',
    /\/v2\/upload/,
  ],
  [
    'localhost audio_url to the cloud',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "http://localhost:8000/a.mp3", ${OK_BODY}}'`,
    'request.audio_url_private',
    /\/v2\/upload/,
  ],
  [
    's3:// audio_url',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "s3://bucket/a.mp3", ${OK_BODY}}'`,
    'request.audio_url_scheme',
    /pre-signed/,
  ],
  [
    'YouTube page as audio_url',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://www.youtube.com/watch?v=abc", ${OK_BODY}}'`,
    'request.audio_url_webpage',
    /audio file itself/,
  ],
  [
    'misspelt option',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3", "speaker_label": true, ${OK_BODY}}'`,
    'request.unknown_field',
    /speaker_labels/,
  ],
  [
    'camelCase field',
    `curl ${A}/v2/transcript ${KEY} -d '{"audioUrl": "https://example.com/a.mp3", ${OK_BODY}}'`,
    'request.unknown_field',
    /"audio_url"/,
  ],
  [
    'boolean as a string',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3", "speaker_labels": "true", ${OK_BODY}}'`,
    'request.wrong_type',
    /without quotes/,
  ],
  [
    'number as a string',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3", "speakers_expected": "2", ${OK_BODY}}'`,
    'request.wrong_type',
    /2 without quotes/,
  ],
  [
    'list as a string',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3", "speech_models": "universal-2"}'`,
    'request.wrong_type',
    /\["universal-2"\]/,
  ],
  [
    'value not in the enum',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3", "redact_pii_sub": "hashed", ${OK_BODY}}'`,
    'request.bad_value',
    /"hash"/,
  ],
  [
    'out of range',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3", "speech_threshold": 2, ${OK_BODY}}'`,
    'request.out_of_range',
    /0 to 1/,
  ],
  [
    'unknown PII policy',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3", "redact_pii_policies": ["phone_numbers"], ${OK_BODY}}'`,
    'request.bad_value',
    /"phone_number"/,
  ],
  [
    'language code with a hyphen',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3", "language_code": "en-US", ${OK_BODY}}'`,
    'request.bad_value',
    /"en_us"/,
  ],
  ['no audio_url', `curl ${A}/v2/transcript ${KEY} -d '{"language_code": "en_us", ${OK_BODY}}'`, 'request.missing_field', /"audio_url"/],
  [
    'no speech_models on the cloud',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3"}'`,
    'request.missing_speech_models',
    /universal-3-pro/,
  ],
  [
    'removed word_boost',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3", "word_boost": ["Earshot"], ${OK_BODY}}'`,
    'request.removed_field',
    /keyterms_prompt/,
  ],
  [
    'deprecated speech_model',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3", "speech_model": "best", ${OK_BODY}}'`,
    'request.deprecated_field',
    /speech_models/,
  ],
  [
    'end before start',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3", "audio_start_from": 5000, "audio_end_at": 30, ${OK_BODY}}'`,
    'request.bad_range',
    /in ms/,
  ],
  [
    'localhost webhook to the cloud',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3", "webhook_url": "http://localhost:3000/hook", ${OK_BODY}}'`,
    'request.webhook_private',
    /tunnel/,
  ],
  [
    'webhook auth name without value',
    `curl ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3", "webhook_url": "https://example.com/hook", "webhook_auth_header_name": "X-Secret", ${OK_BODY}}'`,
    'request.webhook_auth_incomplete',
    /both/,
  ],
  [
    'GET with a body',
    `curl -X GET ${A}/v2/transcript ${KEY} -d '{"audio_url": "https://example.com/a.mp3", ${OK_BODY}}'`,
    'request.wrong_method',
    /POST \/v2\/transcript/,
  ],
  [
    'POST to a transcript id',
    `curl -X POST ${A}/v2/transcript/5f3c0d2e-1b2a-4c3d-8e4f-5a6b7c8d9e0f ${KEY}`,
    'request.wrong_method',
    /GET \/v2\/transcript\/\{id\}/,
  ],
  ['placeholder transcript id', `curl ${A}/v2/transcript/{transcript_id} ${KEY}`, 'request.placeholder_id', /"id" field/],
  ['plural path', `curl ${A}/v2/transcripts ${KEY}`, 'request.unknown_path', /\/v2\/transcript\?/],
  ['v1 path', `curl ${A}/v1/transcript ${KEY}`, 'request.unknown_path', /\/v2\/transcript\?/],
  ['wrong host', `curl https://assemblyai.com/v2/transcript ${KEY}`, 'request.wrong_host', /api\.assemblyai\.com/],
  ['v3 token from the REST host', `curl "${A}/v3/token?expires_in_seconds=60" ${KEY}`, 'request.wrong_host', /streaming\.assemblyai\.com/],
  ['v3 token without expiry', `curl https://streaming.assemblyai.com/v3/token ${KEY}`, 'request.missing_param', /expires_in_seconds=60/],
  [
    'v3 token expiry too long',
    `curl "https://streaming.assemblyai.com/v3/token?expires_in_seconds=3600" ${KEY}`,
    'request.out_of_range',
    /single-use/,
  ],
  ['curl at a WebSocket', `curl "wss://streaming.assemblyai.com/v3/ws?sample_rate=16000" ${KEY}`, 'request.websocket_with_curl', /stream/],
  ['double slash', `curl ${A}//v2/transcript ${KEY}`, 'request.double_slash', /extra slash/],
  ['plain http to the cloud', `curl http://api.assemblyai.com/v2/transcript ${KEY}`, 'request.plain_http', /https/],
  [
    'LeMUR with transcript_id',
    `curl ${A}/lemur/v3/generate/task ${KEY} -d '{"transcript_id": "abc", "prompt": "Summarise"}'`,
    'request.unknown_field',
    /transcript_ids/,
  ],
  [
    'LeMUR ids as a string',
    `curl ${A}/lemur/v3/generate/task ${KEY} -d '{"transcript_ids": "abc", "prompt": "Summarise"}'`,
    'request.wrong_type',
    /\["abc"\]/,
  ],
  [
    'LeMUR task without prompt',
    `curl ${A}/lemur/v3/generate/task ${KEY} -d '{"transcript_ids": ["abc"]}'`,
    'request.missing_field',
    /"prompt"/,
  ],
  [
    'a form to /v2/transcript',
    `curl ${A}/v2/transcript ${KEY} -F audio_url=https://example.com/a.mp3`,
    'request.form_instead_of_json',
    /application\/json/,
  ],
  ['not a request at all', 'fetch("https://api.assemblyai.com/v2/transcript")', 'request.unparsable', /curl/],
];

function check(cmd: string) {
  return checkPastedRequest(cmd, { env: {}, fileExists: () => true });
}

describe('pasted request: broken curl commands', () => {
  it('has at least 20 broken commands', () => expect(BROKEN.length).toBeGreaterThanOrEqual(20));

  it.each(BROKEN)('%s', (_name, cmd, code, fix) => {
    const { findings } = check(cmd);
    const hit = findings.find((f) => f.code === code);
    expect(hit, `${code} not in ${JSON.stringify(findings.map((f) => f.code))}`).toBeDefined();
    expect(['fail', 'warn', 'info']).toContain(hit!.severity);
    expect(hit!.fix).toMatch(fix);
  });

  it('finds nothing wrong with a correct request, whatever the header case', () => {
    const { findings } = check(
      `curl -X POST ${A}/v2/transcript -H "AUTHORIZATION: 0123456789abcdef" -H "Content-Type: application/json" -d '{"audio_url": "https://example.com/a.mp3", ${OK_BODY}, "speaker_labels": true}'`,
    );
    expect(findings.map((f) => f.code)).toEqual(['request.looks_right']);
  });

  it('Bearer is a warning, not a failure, against a self-hosted server (Earshot accepts it)', () => {
    const { findings } = check(`curl http://127.0.0.1:8976/v2/transcript -H "Authorization: Bearer 0123456789abcdef"`);
    expect(findings.find((f) => f.code === 'request.bearer_prefix')?.severity).toBe('warn');
  });

  it('a file the command reads but that does not exist is pointed out', () => {
    const { findings } = checkPastedRequest(`curl -X POST ${A}/v2/upload ${KEY} --data-binary @/nonexistent/meeting.mp3`, { env: {} });
    expect(findings.map((f) => f.code)).toContain('request.file_not_found');
  });

  it('a JSON body in a file is read and checked when it can be', () => {
    const { findings } = checkPastedRequest(`curl ${A}/v2/transcript ${KEY} -d @body.json`, {
      env: {},
      fileExists: () => true,
      readFile: () => '{"audio_url": "https://example.com/a.mp3", "speaker_lables": true}',
    });
    expect(findings.find((f) => f.code === 'request.unknown_field')?.fix).toBe('Did you mean "speaker_labels"?');
    expect(check(`curl ${A}/v2/transcript ${KEY} -d @body.json`).findings.map((f) => f.code)).toEqual(['request.looks_right']);
  });

  it('a variable the shell would expand but that is not set is pointed out', () => {
    const { findings } = check(`curl ${A}/v2/transcript -H "authorization: $NOT_SET_ANYWHERE"`);
    expect(findings.map((f) => f.code)).toContain('request.variable_not_set');
  });
});

describe('pasted request: parsing', () => {
  it('splits words like bash: quotes, escapes, continuations, $VAR from the environment, stops at a pipe', () => {
    const { words, notes } = shellWords(`curl -H "a: $K" \\\n  -d '{"x": "$Y"}' $'t\\tab' x\\ y | jq .`, { K: 'v1' });
    expect(words.map((w) => w.value)).toEqual(['curl', '-H', 'a: v1', '-d', '{"x": "$Y"}', 't\tab', 'x y']);
    expect(notes.singleQuotedVars).toEqual(['$Y']);
  });

  it('reads curl flags: combined short flags, attached values, -G, --json, the method curl would use', () => {
    const r = parsePastedRequest(`curl -sSL -XDELETE ${A}/v2/transcript/abc -Hauthorization:k`)!;
    expect(r.method).toBe('DELETE');
    expect(r.headers).toEqual([{ name: 'authorization', value: 'k', malformed: false }]);
    const j = parsePastedRequest(`curl --json '{"a":1}' ${A}/v2/transcript`)!;
    expect(j.method).toBe('POST');
    expect(j.headers[0]!.value).toBe('application/json');
    expect(parsePastedRequest(`curl -G -d limit=5 ${A}/v2/transcript`)!.method).toBe('GET');
    expect(parsePastedRequest(`curl -T a.mp3 ${A}/v2/upload`)!.method).toBe('PUT');
  });

  it('reads Windows cmd line continuations and escaped quotes', () => {
    const r = parsePastedRequest(
      `curl -X POST ${A}/v2/transcript ^\r\n -H "authorization: k" ^\r\n -d "{\\"audio_url\\": \\"https://x/a.mp3\\"}"`,
    )!;
    expect(r.data[0]!.text).toBe('{"audio_url": "https://x/a.mp3"}');
  });

  it('reads a raw HTTP request, taking the URL from the Host header', () => {
    const r = parsePastedRequest(
      'POST /v2/transcript HTTP/1.1\r\nHost: api.assemblyai.com\r\nAuthorization: Bearer k\r\nContent-Type: application/json\r\n\r\n{"audio_url": "https://x/a.mp3"}',
    )!;
    expect(r.tool).toBe('http');
    expect(r.url).toBe('https://api.assemblyai.com/v2/transcript');
    const { findings, auth } = check(
      'POST /v2/transcript HTTP/1.1\r\nHost: api.assemblyai.com\r\nAuthorization: Bearer k\r\n\r\n{"audio_url": "https://example.com/a.mp3", "speech_models": ["universal-2"]}',
    );
    expect(findings.map((f) => f.code)).toEqual(['request.bearer_prefix']);
    expect(auth).toEqual({ headerName: 'Authorization', value: 'Bearer k' });
  });

  it('suggests the field a misspelling meant', () => {
    const known = ['audio_url', 'speaker_labels', 'language_code', 'keyterms_prompt'];
    expect(suggestField('audioURL', known)).toBe('audio_url');
    expect(suggestField('speakerLabels', known)).toBe('speaker_labels');
    expect(suggestField('language', known)).toBe('language_code');
    expect(suggestField('keywords', known)).toBe('keyterms_prompt');
    expect(suggestField('completely_unrelated', known)).toBeNull();
  });
});
