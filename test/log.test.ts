import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
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
