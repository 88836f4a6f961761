import fs from 'node:fs';
import WebSocket from 'ws';
import { librivoxClips, pcmOf } from './audio.js';
import { failed, metric, withServer, type BenchContext, type Measurement, type MetricSpec } from './measures.js';
import type { BenchServer } from './server.js';
import { SPARE_IDLE_MS } from '../src/engines/pocketsphinx.js';
import { mb, procMemory, RssSampler } from './util.js';

/**
 * Server memory per live session: N sessions stream a LibriVox clip at real-time pace at once, and the
 * server's RSS is sampled while all N are open. Per extra session = (peak at 16 − peak at 1) / 15, on the
 * engine a user runs without a download (pocketsphinx: one decoder per session, its models loaded by each)
 * and on a sherpa-onnx streaming model (one recognizer shared, a stream per session) — here the handmade
 * T-one-shaped stand-in, whose weights are nearly nothing, so its figure is Earshot's own per-session cost.
 */
const COUNTS = [1, 4, 16];
const SECONDS = 6;
const CHUNK_MS = 100;
const TONE_CTC = new URL('../../../shared/models/handmade/streaming-energy-ctc.onnx', import.meta.url).pathname;

const PER_SESSION: MetricSpec = {
  id: 'streaming_rss_per_session',
  name: 'Streaming: server memory per extra live session (pocketsphinx)',
  unit: 'MB',
  op: '<=',
  target: 20,
};
const PER_SESSION_SHERPA: MetricSpec = {
  id: 'streaming_rss_per_session_sherpa',
  name: 'Streaming: server memory per extra live session (sherpa-onnx model, stand-in weights)',
  unit: 'MB',
  op: '<=',
  target: 20,
};

/** One session: Begin, the audio at real time, then Terminate once `hold` resolves. */
async function session(s: BenchServer, pcm: Buffer, hold: Promise<void>): Promise<void> {
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}/v3/ws?sample_rate=16000`, { headers: { authorization: s.key } });
  const closed = new Promise<void>((resolve, reject) => {
    ws.once('close', () => resolve());
    ws.once('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type?: string }).type === 'Begin') resolve();
    });
    ws.once('error', reject);
    ws.once('close', (code, reason) => reject(new Error(`session closed before Begin: ${code} ${reason}`)));
  });
  const started = Date.now();
  for (let at = 0; at < pcm.length; at += CHUNK_MS * 32) {
    ws.send(pcm.subarray(at, at + CHUNK_MS * 32));
    const due = started + (at / 32 + CHUNK_MS);
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
  }
  await hold;
  ws.send(JSON.stringify({ type: 'Terminate' }));
  await closed;
}

/** Peak RSS of the server while `n` sessions stream at once. */
async function peakWith(s: BenchServer, pcm: Buffer, n: number): Promise<number> {
  const sampler = new RssSampler(s.pid, 50).start();
  let release!: () => void;
  const hold = new Promise<void>((r) => {
    release = r;
  });
  const sessions = Array.from({ length: n }, () => session(s, pcm, hold));
  // All have streamed their audio (the last chunk is sent at SECONDS): sample a moment more, then end them.
  await new Promise((r) => setTimeout(r, SECONDS * 1000 + 1500));
  release();
  await Promise.all(sessions);
  sampler.stop();
  return Math.max(sampler.peakRss, procMemory(s.pid)?.rss ?? 0);
}

async function perSession(b: BenchContext, name: string, env: Record<string, string>, pcm: Buffer) {
  const peaks: Record<number, number> = {};
  let idleMB = NaN;
  for (const n of COUNTS) {
    peaks[n] = await withServer(b, `${name}-${n}`, env, async (s) => {
      // One session first, ended: whatever is loaded once per process (VAD, a recognizer) is in the baseline.
      await peakWith(s, pcm.subarray(0, 32_000), 1);
      const peak = await peakWith(s, pcm, n);
      if (n === COUNTS[0]) {
        // What the server keeps once the sessions are over and the decoder threads' spares have been let go.
        await new Promise((r) => setTimeout(r, SPARE_IDLE_MS + 5000));
        idleMB = mb(procMemory(s.pid)?.rss ?? NaN);
      }
      return peak;
    });
    b.log(`  ${name}: ${n} session${n === 1 ? '' : 's'}: peak ${(peaks[n]! / 1048576).toFixed(1)} MB`);
  }
  const first = COUNTS[0]!;
  const last = COUNTS.at(-1)!;
  return {
    value: mb((peaks[last]! - peaks[first]!) / (last - first)),
    details: {
      sessionSeconds: SECONDS,
      peakRssMB: Object.fromEntries(COUNTS.map((n) => [n, mb(peaks[n]!)])),
      perExtraFrom1To4MB: mb((peaks[4]! - peaks[1]!) / 3),
      rssMBOnceIdle: idleMB,
      note: `(peak with ${last} − peak with ${first}) / ${last - first}; each server warmed by one short session first`,
    },
  };
}

export const streamingMemory: Measurement = {
  name: 'streaming memory',
  metrics: [PER_SESSION, PER_SESSION_SHERPA],
  async run(b) {
    const pcm = (await pcmOf(librivoxClips()[0]!)).subarray(0, SECONDS * 32_000);
    const base = { EARSHOT_STREAMING_MAX_SESSIONS: '100', EARSHOT_STATUS_PROBE_SECONDS: '0', EARSHOT_STREAMING_THREADS: '2' };
    const out = [];
    try {
      const m = await perSession(b, 'pocketsphinx', base, pcm);
      out.push(metric(PER_SESSION, m.value, m.details));
    } catch (err) {
      out.push(failed(PER_SESSION, err));
    }
    try {
      if (!fs.existsSync(TONE_CTC)) throw new Error(`stand-in model missing: ${TONE_CTC}`);
      const m = await perSession(b, 'sherpa', { ...base, EARSHOT_STREAMING_MODEL: TONE_CTC }, pcm);
      out.push(metric(PER_SESSION_SHERPA, m.value, m.details));
    } catch (err) {
      out.push(failed(PER_SESSION_SHERPA, err));
    }
    return out;
  },
};
