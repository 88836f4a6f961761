import WebSocket from 'ws';
import { decodeAudio } from '../src/audio/decode.js';
import type { BenchFigure } from './figure.js';

const CHUNK_MS = 100;
const BYTES_PER_MS = 32;
const TRAILING_SILENCE_MS = 2000;

async function pcmOf(file: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of decodeAudio(file).pcm) parts.push(b);
  return Buffer.concat(parts);
}

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

interface SessionTiming {
  /**
   * From sending the clip's last chunk (the last audio of its last utterance; silence follows) to
   * the end of turn that closes it. Not from the recogniser's last-word end: a live hypothesis
   * stretches that into the silence, past where the turn may already have ended.
   */
  endOfTurnMs: number | null;
  /** For each final word: from the moment its end was sent to the first partial that contained it. */
  wordToPartialMs: number[];
}

/** Streams one clip at real time in 100 ms chunks, then silence, and times what comes back. */
async function timeSession(wsBase: string, key: string, pcm: Buffer, query = ''): Promise<SessionTiming> {
  const ws = new WebSocket(`${wsBase}/v3/ws?sample_rate=16000${query}`, { headers: { authorization: key } });
  const firstSeen = new Map<string, number>();
  let startedAt = 0;
  const turns: { at: number; words: { text: string; start: number; end: number }[] }[] = [];
  const done = new Promise<void>((resolve, reject) => {
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as {
        type: string;
        end_of_turn?: boolean;
        turn_is_formatted?: boolean;
        words?: { text: string; start: number; end: number }[];
      };
      const now = Date.now();
      if (m.type !== 'Turn') return;
      for (const w of m.words ?? []) {
        const k = `${w.text}@${Math.round(w.start / 100)}`;
        if (!firstSeen.has(k)) firstSeen.set(k, now);
      }
      if (m.end_of_turn && !m.turn_is_formatted && m.words?.length) turns.push({ at: now, words: m.words });
    });
    ws.once('close', () => resolve());
    ws.once('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const audio = Buffer.concat([pcm, Buffer.alloc(TRAILING_SILENCE_MS * BYTES_PER_MS)]);
  const chunk = CHUNK_MS * BYTES_PER_MS;
  startedAt = Date.now();
  for (let i = 0, n = 0; i < audio.length; i += chunk, n++) {
    ws.send(audio.subarray(i, i + chunk));
    await new Promise((r) => setTimeout(r, Math.max(0, startedAt + (n + 1) * CHUNK_MS - Date.now())));
  }
  ws.send(JSON.stringify({ type: 'Terminate' }));
  await done;
  // A word's audio was fully sent at startedAt + its end, rounded up to the chunk that held it.
  const sentAt = (w: { end: number }) => startedAt + Math.ceil(w.end / CHUNK_MS) * CHUNK_MS;
  const wordToPartialMs = turns
    .flatMap((t) => t.words)
    .map((w) => {
      const seen = firstSeen.get(`${w.text}@${Math.round(w.start / 100)}`);
      return seen === undefined ? null : Math.max(0, seen - sentAt(w));
    })
    .filter((x): x is number => x !== null);
  const clipSent = startedAt + Math.ceil(pcm.length / BYTES_PER_MS / CHUNK_MS) * CHUNK_MS;
  const closing = turns.find((t) => t.at >= clipSent);
  return { endOfTurnMs: closing ? closing.at - clipSent : null, wordToPartialMs };
}

/**
 * Streaming latency on a running server: end-of-turn latency, word-to-partial latency, and how
 * many simultaneous real-time sessions the machine sustains before end-of-turn latency passes 1 s.
 */
export async function measureStreaming(opts: { url: string; key: string; clips: string[]; maxSessions?: number }): Promise<BenchFigure[]> {
  const wsBase = opts.url.replace(/^http/, 'ws');
  const pcms = await Promise.all(opts.clips.map(pcmOf));
  const eot: number[] = [];
  const eotFast: number[] = [];
  const partial: number[] = [];
  // The first session starts the decoder threads and loads the models; the figures are for a warm server.
  await timeSession(wsBase, opts.key, pcms[0]!);
  for (const pcm of [...pcms, ...pcms]) {
    const t = await timeSession(wsBase, opts.key, pcm);
    if (t.endOfTurnMs !== null) eot.push(t.endOfTurnMs);
    partial.push(...t.wordToPartialMs);
    const fast = await timeSession(wsBase, opts.key, pcm, '&min_turn_silence=160&max_turn_silence=400');
    if (fast.endOfTurnMs !== null) eotFast.push(fast.endOfTurnMs);
  }

  // Ramp up concurrent sessions until the slowest end of turn passes 1 s.
  let sustained = 0;
  const steps: string[] = [];
  for (let n = 1; n <= (opts.maxSessions ?? 24); n = n < 4 ? n + 1 : n + 4) {
    const runs = await Promise.all(Array.from({ length: n }, (_, i) => timeSession(wsBase, opts.key, pcms[i % pcms.length]!)));
    const worst = Math.max(...runs.map((r) => r.endOfTurnMs ?? Infinity));
    steps.push(`${n}: ${Number.isFinite(worst) ? `${Math.round(worst)} ms` : 'no end of turn'}`);
    if (worst > 1000) break;
    sustained = n;
  }

  const p50 = percentile(eot, 50);
  return [
    {
      name: 'Streaming end-of-turn latency p50 (last audio chunk sent → end_of_turn, default min_turn_silence 400 ms)',
      value: Math.round(p50),
      unit: 'ms',
      target: '≤ 300 ms',
      pass: p50 <= 300,
      note: `${eot.length} sessions; from the clip's last chunk, so it includes the pause the turn detector must hear (min_turn_silence) less any quiet at the clip's end`,
    },
    {
      name: 'Streaming end-of-turn latency p50 with min_turn_silence=160, max_turn_silence=400',
      value: Math.round(percentile(eotFast, 50)),
      unit: 'ms',
      target: '≤ 300 ms',
      pass: percentile(eotFast, 50) <= 300,
      note: `${eotFast.length} sessions`,
    },
    {
      name: 'Word spoken → first partial containing it, p50',
      value: Math.round(percentile(partial, 50)),
      unit: 'ms',
      target: 'report',
      pass: null,
      note: `p90 ${Math.round(percentile(partial, 90))} ms over ${partial.length} words`,
    },
    {
      name: 'Real-time streaming sessions sustained before end-of-turn latency passes 1 s',
      value: sustained,
      unit: 'sessions',
      target: 'report',
      pass: null,
      note: steps.join('; '),
    },
  ];
}
