import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger, redactUrl } from '../src/log.js';

const SECRET = 'hook-secret-7f3a9c';

/** A logger whose output is kept. */
function capture(): { text: () => string; log: ReturnType<typeof createLogger> } {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString());
      done();
    },
  });
  const log = createLogger('debug', stream as unknown as Parameters<typeof createLogger>[1]);
  return { text: () => raw.join(''), log };
}

describe('logs carry no request secrets', () => {
  it('drops a database error’s parameters and quoted data, keeping its message and code', () => {
    const { log, text } = capture();
    const err = Object.assign(new Error('unsupported Unicode escape sequence'), {
      code: '22P05',
      query: 'insert into transcripts (id, params) values ($1, $2)',
      params: ['id', JSON.stringify({ webhook_auth_header_value: SECRET })],
      where: `JSON data, line 1: {"webhook_auth_header_value":"${SECRET}`,
    });
    log.error({ err }, 'request failed');
    const line = JSON.parse(text()) as { err: Record<string, unknown> };
    expect(line.err.message).toBe('unsupported Unicode escape sequence');
    expect(line.err.code).toBe('22P05');
    expect(line.err.params).toBeUndefined();
    expect(text()).not.toContain(SECRET);
  });

  it.each([
    ['a webhook header value', { params: { webhook_auth_header_value: SECRET } }],
    ['an API key in a config', { config: { apiKey: SECRET } }],
    ['an LLM key', { llmApiKey: SECRET }],
    ['an authorization header', { headers: { authorization: SECRET } }],
    ['an alert secret', { subscription: { secret: SECRET } }],
  ])('redacts %s', (_name, fields) => {
    const { log, text } = capture();
    log.info(fields, 'something happened');
    expect(text()).toContain('[redacted]');
    expect(text()).not.toContain(SECRET);
  });

  it('redacts credentials in logged URLs', () => {
    expect(redactUrl(`/v3/ws?token=${SECRET}&sample_rate=16000`)).toBe('/v3/ws?token=[redacted]&sample_rate=16000');
    expect(redactUrl(`/x?webhook_auth_header_value=${SECRET}`)).not.toContain(SECRET);
  });
});

describe('log format', () => {
  /** What a logger of this format writes for a request line and an error. */
  function written(format: 'pretty' | 'json' | 'auto'): string {
    const raw: string[] = [];
    const stream = new Writable({ write: (chunk: Buffer, _e, done) => (raw.push(chunk.toString()), done()) });
    const log = createLogger('info', stream as unknown as Parameters<typeof createLogger>[1], format);
    log.info({ req: { method: 'GET', url: `/v3/ws?token=${SECRET}` }, res: { statusCode: 200 }, responseTime: 4.2 }, 'request completed');
    log.warn({ apiKey: SECRET }, 'disk nearly full');
    return raw.join('');
  }

  it('pretty: one readable line each, secrets still redacted, no JSON', () => {
    const text = written('pretty');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: GET \/v3\/ws\?token=\[redacted\] → 200 \(4 ms\)$/m);
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: disk nearly full$/m);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('{"level"');
  });

  it('json, and auto off a terminal: one JSON object a line', () => {
    expect(process.stdout.isTTY && process.stderr.isTTY).toBeFalsy(); // vitest pipes its workers' output
    for (const format of ['json', 'auto'] as const) {
      const lines = written(format)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { msg: string });
      expect(lines.map((l) => l.msg)).toEqual(['request completed', 'disk nearly full']);
    }
  });

  it('is set by EARSHOT_LOG_FORMAT, which refuses other values', () => {
    expect(loadConfig({}, {}).logFormat).toBe('auto');
    expect(loadConfig({}, { EARSHOT_LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(() => loadConfig({}, { EARSHOT_LOG_FORMAT: 'yaml' })).toThrow(
      /EARSHOT_LOG_FORMAT \/ --log-format: expected "auto" or "pretty" or "json"/,
    );
  });
});
