import WebSocket from 'ws';
import type { Probe } from './types.js';
import { byLatency, failed } from './types.js';

const CHUNK_BYTES = 3_200; // 100 ms of 16 kHz s16le
const TOO_MANY = 3009;

/**
 * A real v3 session on /v3/ws: Begin, the probe clip, Terminate, Termination. The clip goes out at
 * once (2-3 s of audio, inside the pace tolerance), so the probe holds a decoder only briefly.
 */
export const probeStreaming: Probe<'baseUrl' | 'key' | 'clip' | 'slowMs'> = (env, signal) =>
  new Promise((resolve) => {
    const started = performance.now();
    const url = `${env.baseUrl.replace(/^http/, 'ws')}/v3/ws?sample_rate=16000&encoding=pcm_s16le`;
    const ws = new WebSocket(url, { headers: { authorization: env.key } });
    let begun = false;
    let settled = false;
    const done = (r: Parameters<typeof resolve>[0]) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.terminate();
      resolve(r);
    };
    const onAbort = () => done(failed(begun ? 'the session did not end in time' : 'no session began in time', performance.now() - started));
    signal.addEventListener('abort', onAbort, { once: true });
    ws.on('message', (data) => {
      let m: { type?: string; error?: string };
      try {
        m = JSON.parse(data.toString()) as typeof m;
      } catch {
        return done(failed('the server sent a frame that is not JSON'));
      }
      if (m.type === 'Begin') {
        begun = true;
        for (let i = 0; i < env.clip.pcm.length; i += CHUNK_BYTES) ws.send(env.clip.pcm.subarray(i, i + CHUNK_BYTES));
        ws.send(JSON.stringify({ type: 'Terminate' }));
      } else if (m.type === 'Termination') {
        const ms = performance.now() - started;
        done(
          byLatency(
            env,
            'streaming',
            ms,
            `session of ${(env.clip.pcm.length / 32_000).toFixed(1)} s of audio ended normally in ${Math.round(ms)} ms`,
          ),
        );
      }
    });
    ws.on('close', (code, why) => {
      const text = `session closed with ${code}${why.length ? ` (${why.toString()})` : ''} before it ended`;
      // All sessions taken: streaming works, just not for one more client.
      done(failed(text, performance.now() - started, code === TOO_MANY ? 'partial_outage' : 'major_outage'));
    });
    ws.on('error', (err) => done(failed(`WebSocket: ${err.message}`, performance.now() - started)));
  });
