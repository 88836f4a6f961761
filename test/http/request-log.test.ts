import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { requestLog } from '../../src/http/request-log.js';
import { createLogger } from '../../src/log.js';

/** The JSON lines a small app logs for one good and one failing request. */
async function linesFor(level: string, logRequests: boolean): Promise<Record<string, unknown>[]> {
  const raw: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, done) => (raw.push(chunk.toString()), done()) });
  const app = Fastify({ loggerInstance: createLogger(level, sink as never) as FastifyBaseLogger, logController: requestLog(logRequests) });
  app.get('/ok', async () => ({ ok: true }));
  app.get('/boom', async () => {
    throw new Error('boom');
  });
  await app.inject('/ok');
  await app.inject('/boom');
  await app.close();
  return raw
    .join('')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const completed = (lines: Record<string, unknown>[]) => lines.filter((l) => l.msg === 'request completed');

describe('request log lines', () => {
  it('are debug, not info, by default', async () => {
    expect(completed(await linesFor('info', false))).toEqual([]);
    const debug = completed(await linesFor('debug', false));
    expect(debug.map((l) => [l.level, (l.req as { url: string }).url, (l.res as { statusCode: number }).statusCode])).toEqual([
      [20, '/ok', 200],
      [20, '/boom', 500],
    ]);
  });

  it('are info with EARSHOT_LOG_REQUESTS', async () => {
    expect(completed(await linesFor('info', true)).map((l) => l.level)).toEqual([30, 30]);
  });

  it('still show a failing request at info level', async () => {
    const lines = await linesFor('info', false);
    expect(lines.some((l) => (l.level as number) >= 50 && JSON.stringify(l).includes('boom'))).toBe(true);
  });
});
