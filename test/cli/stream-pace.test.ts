import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { PACE_HEADER } from '../../src/streaming/protocol.js';
import { runCli } from '../helpers/server.js';

/**
 * `earshot stream --speed` against a stand-in v3 server that measures how far ahead of real time the
 * audio runs, and closes with 3007 past its tolerance as Earshot does.
 */
let wss: WebSocketServer;
let url: string;
let dir: string;
let wav: string;
let paceHeader: string | null;
let tolerance: number;
let rejectAudio: boolean;
let got: { audioMs: number; maxLead: number };

const AUDIO_MS = 3000;

/** A WAV of silence, 16 kHz mono s16le. */
function silenceWav(ms: number): Buffer {
  const data = Buffer.alloc((16_000 * 2 * ms) / 1000);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(16_000, 24);
  h.writeUInt32LE(32_000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'earshot-stream-pace-'));
  wav = path.join(dir, 'silence.wav');
  writeFileSync(wav, silenceWav(AUDIO_MS));
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('headers', (headers) => paceHeader !== null && headers.push(`${PACE_HEADER}: ${paceHeader}`));
  wss.on('connection', (ws) => {
    let first = 0;
    ws.send(JSON.stringify({ type: 'Begin', id: 'fake', expires_at: 0 }));
    ws.on('message', (data: Buffer, binary) => {
      if (!binary) {
        ws.send(JSON.stringify({ type: 'Termination' }));
        return ws.close(1000);
      }
      if (rejectAudio) {
        ws.send(JSON.stringify({ error: 'Audio sent faster than real time' }));
        return ws.close(3007, 'Audio sent faster than real time');
      }
      const now = Date.now();
      first ||= now;
      got.audioMs += data.length / 32;
      got.maxLead = Math.max(got.maxLead, got.audioMs - (now - first));
      if (got.audioMs - (now - first) > tolerance) ws.close(3007, 'Audio sent faster than real time');
    });
  });
  await new Promise((r) => wss.once('listening', r));
  url = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
});
afterAll(() => {
  wss?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  got = { audioMs: 0, maxLead: 0 };
  rejectAudio = false;
});

const stream = (...args: string[]) => runCli(['stream', wav, '--server', url, '--api-key', 'k', ...args], process.env);

describe('earshot stream --speed', () => {
  it("goes ahead at the speed, then holds within the server's tolerance, saying so once", async () => {
    paceHeader = '1500';
    tolerance = 1500;
    const out = await stream('--speed', '4');
    expect(out.stderr).toBe(
      'earshot: --speed 4 held to real time from here: the server takes audio at most 1500 ms ahead of real time (EARSHOT_STREAMING_ALLOW_FAST=true on the server lifts this)\n',
    );
    expect(out.code).toBe(0);
    expect(got.audioMs).toBe(AUDIO_MS);
    expect(got.maxLead).toBeLessThanOrEqual(1500);
    expect(got.maxLead).toBeGreaterThan(300); // it did run ahead, up to its 500 ms margin
  });

  it('runs at full speed on a server that takes any pace', async () => {
    paceHeader = 'unlimited';
    tolerance = Infinity;
    const out = await stream('--speed', '10');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(got.audioMs).toBe(AUDIO_MS);
    expect(got.maxLead).toBeGreaterThan(1500);
  });

  it('refuses a speed a server that states no tolerance would refuse, before sending audio', async () => {
    paceHeader = null;
    tolerance = 0;
    const out = await stream('--speed', '1.5');
    expect(out.code).toBe(1);
    expect(out.stderr).toBe(
      'earshot: --speed 1.5: this server does not accept audio faster than real time; use --speed 1 (or an Earshot server)\n',
    );
    expect(got.audioMs).toBe(0);
  });

  it('says why a session was closed once, not twice', async () => {
    paceHeader = '10000';
    tolerance = 10_000;
    rejectAudio = true;
    const out = await stream();
    expect(out.code).toBe(1);
    expect(out.stderr).toBe('earshot: session closed with 3007: Audio sent faster than real time\n');
  });
});
