import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PACE_HEADER } from '../../src/streaming/protocol.js';
import { wordErrorRate } from '../../src/text/wer.js';
import { librivoxClips } from '../helpers/librivox.js';
import { runCli, startServer, type TestServer } from '../helpers/server.js';

describe('earshot stream', () => {
  let server: TestServer;
  const clip = librivoxClips()[2];
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server?.destroy());

  it('streams a file at real-time pace and prints the final turns', async () => {
    const { code, stdout, stderr } = await runCli(['stream', clip.wav, '--server', server.url, '--api-key', server.key], process.env);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^[A-Z]/);
    expect(wordErrorRate(clip.reference, stdout)).toBeLessThan(0.5);
  });

  it('reads raw PCM from stdin over the v2 protocol', async () => {
    const { execFileSync } = await import('node:child_process');
    const pcm = execFileSync('sox', ['-R', clip.wav, '-t', 'raw', '-r', '8000', '-e', 'signed', '-b', '16', '-c', '1', '-']);
    const { code, stdout } = await runCli(
      ['stream', '-', '--sample-rate', '8000', '--protocol', 'v2', '--server', server.url, '--api-key', server.key],
      process.env,
      pcm,
    );
    expect(code).toBe(0);
    expect(stdout.trim().length).toBeGreaterThan(0);
  });

  it('is told on the upgrade how far ahead of real time the server takes audio', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v3/ws?sample_rate=16000`, { headers: { authorization: server.key } });
    const header = await new Promise((resolve, reject) => {
      ws.once('upgrade', (res) => resolve(res.headers[PACE_HEADER]));
      ws.once('error', reject);
    });
    ws.close();
    expect(header).toBe('10000');
  });

  it('fails clearly with a wrong key', async () => {
    const { code, stderr } = await runCli(['stream', clip.wav, '--server', server.url, '--api-key', 'wrong'], process.env);
    expect(code).toBe(1);
    expect(stderr).toMatch(/1008|Unauthorized/);
  });
});
