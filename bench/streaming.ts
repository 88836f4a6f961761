import path from 'node:path';
import WebSocket from 'ws';
import { SileroModel } from '../src/streaming/silero-vad.js';
import { EnergyVad } from '../src/streaming/vad.js';
import { espeakSpeech, pcmOf } from './audio.js';
import type { BenchFigure } from './figure.js';

const CHUNK_MS = 100;
const BYTES_PER_MS = 32;
const LEAD_MS = 500;
const TRAILING_SILENCE_MS = 2000;
/**
 * With the default settings a turn ends either after min_turn_silence (400 ms) or max_turn_silence (1280 ms) of
 * silence; timed on the wall clock, 100 ms chunks and the VAD's placing blur both by up to ~100 ms, so an end of
 * turn sooner than halfway between them after the speech is one that did not wait for max_turn_silence.
 */
const ENDED_EARLY_MS = (400 + 1280) / 2;

/**
 * Labelled turns, spoken by espeak-ng. Complete ones end on a sentence; incomplete ones stop mid-clause (on
 * "and", "the", "because", a preposition). Those are spoken twice: with a comma, which makes espeak-ng hold
 * its pitch up as a speaker does who pauses mid-sentence, and bare, with the fall of a finished sentence
 * (only the words can tell those apart).
 */
const COMPLETE = [
  'I will meet you at the station tomorrow.',
  'Can you send me the report by Friday?',
  'The weather is lovely today.',
  'We finished the project last week.',
  'Please turn off the lights when you leave.',
  'My brother lives in a small town near the coast.',
  'That sounds like a great idea.',
  'The train was twenty minutes late this morning.',
  'I would like a cup of coffee, please.',
  'She bought a new car yesterday.',
  'Thank you very much for your help.',
  'The meeting has been moved to Thursday afternoon.',
];
const INCOMPLETE = [
  'I will meet you at the',
  'I want to buy some apples and',
  'We could not go outside because',
  'The results of the',
  'She put the keys on the table next to',
  'I was thinking that we could go to the',
  'Can you tell me about',
  'He said that he would call me when',
  'My favourite part of the film was the',
  'Let me know if',
  'We need to talk about the budget for',
  'The problem with this plan is that',
];

interface Turn {
  /** Lead silence, then the speech (the session adds the trailing silence). */
  pcm: Buffer;
  /** Where the speech ends in `pcm` (espeak-ng's own trailing silence trimmed), ms. */
  speechEndMs: number;
}

/** A sentence as espeak-ng says it, after LEAD_MS of silence, with the exact offset its speech ends at. */
async function spoken(text: string): Promise<Turn> {
  const { audio, speechEndMs } = await espeakSpeech(text, LEAD_MS, 0);
  return { pcm: audio, speechEndMs };
}

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

interface SessionTiming {
  /**
   * From sending the chunk that holds the speech's end (a known offset in the clip) to the end of turn that
   * closes it: what a caller waits after the speaker stops. Null when no turn ended after the speech.
   */
  endOfTurnMs: number | null;
  /** For each final word: from the moment its end was sent to the first partial that contained it. */
  wordToPartialMs: number[];
}

/**
 * A recorded clip as a complete turn; its speech ends where the VAD (run over the whole clip) last hears speech.
 * The LibriVox clips each end a clause, though only one ends its sentence in the book.
 */
async function recorded(file: string, vadModel: string | null): Promise<Turn> {
  const pcm = await pcmOf(file);
  const model = vadModel ? await SileroModel.load(vadModel) : null;
  const vad = model ? model.open(0.4) : new EnergyVad(0.4);
  await vad.push(pcm);
  await model?.close();
  return { pcm, speechEndMs: vad.lastSpeechMs };
}

/** Streams one clip at real time in 100 ms chunks, then silence, and times what comes back. */
async function timeSession(wsBase: string, key: string, pcm: Buffer, speechEndMs: number | null, query = ''): Promise<SessionTiming> {
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
  // Chunk n (audio from n × CHUNK_MS) is sent at startedAt + n × CHUNK_MS.
  const sentAt = (ms: number) => startedAt + Math.floor(ms / CHUNK_MS) * CHUNK_MS;
  const wordToPartialMs = turns
    .flatMap((t) => t.words)
    .map((w) => {
      const seen = firstSeen.get(`${w.text}@${Math.round(w.start / 100)}`);
      return seen === undefined ? null : Math.max(0, seen - sentAt(w.end));
    })
    .filter((x): x is number => x !== null);
  if (speechEndMs === null) return { endOfTurnMs: null, wordToPartialMs };
  const speechSent = sentAt(speechEndMs);
  const closing = turns.find((t) => t.at >= speechSent);
  return { endOfTurnMs: closing ? closing.at - speechSent : null, wordToPartialMs };
}

const range = (xs: number[]) => (xs.length ? `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))} ms` : 'none');

/**
 * Streaming latency on a running server: end of turn from speech end on labelled complete turns, how
 * many incomplete turns end early, word-to-partial latency, and how many simultaneous real-time
 * sessions the machine sustains before end-of-turn latency passes 1 s.
 */
export async function measureStreaming(opts: {
  url: string;
  key: string;
  /** Recorded sentences, timed as complete turns too. */
  clips: string[];
  vadModel: string | null;
  maxSessions?: number;
}): Promise<BenchFigure[]> {
  const wsBase = opts.url.replace(/^http/, 'ws');
  const clips = await Promise.all(opts.clips.map((c) => recorded(c, opts.vadModel)));
  const complete = [...(await Promise.all(COMPLETE.map(spoken))), ...clips];
  const held = await Promise.all(INCOMPLETE.map((t) => spoken(`${t},`)));
  const falling = await Promise.all(INCOMPLETE.map(spoken));
  const time = (t: Turn, query = '') => timeSession(wsBase, opts.key, t.pcm, t.speechEndMs, query);
  // The first session starts the decoder threads and loads the models; the figures are for a warm server.
  await time(complete[0]!);
  const eot: number[] = [];
  const eotFast: number[] = [];
  for (const t of complete) {
    eot.push((await time(t)).endOfTurnMs ?? Infinity);
    eotFast.push((await time(t, '&min_turn_silence=160&max_turn_silence=400')).endOfTurnMs ?? Infinity);
  }
  const recordedEot = eot.slice(COMPLETE.length);
  const early = async (turns: Turn[]) => {
    const ended: number[] = [];
    for (const [i, t] of turns.entries()) if (((await time(t)).endOfTurnMs ?? Infinity) < ENDED_EARLY_MS) ended.push(i);
    return { share: ended.length / turns.length, ended: ended.map((i) => `"${INCOMPLETE[i]}"`).join(', ') || 'none' };
  };
  const heldEarly = await early(held);
  const fallingEarly = await early(falling);
  const partial: number[] = [];
  for (const c of clips) partial.push(...(await timeSession(wsBase, opts.key, c.pcm, null)).wordToPartialMs);

  // Ramp up concurrent sessions until the slowest end of turn passes 1 s; all on the first turn, which ends
  // at min_turn_silence alone, so only load can delay it.
  let sustained = 0;
  const steps: string[] = [];
  for (let n = 1; n <= (opts.maxSessions ?? 24); n = n < 4 ? n + 1 : n + 4) {
    const runs = await Promise.all(Array.from({ length: n }, () => time(complete[0]!)));
    const worst = Math.max(...runs.map((r) => r.endOfTurnMs ?? Infinity));
    steps.push(`${n}: ${Number.isFinite(worst) ? `${Math.round(worst)} ms` : 'no end of turn'}`);
    if (worst > 1000) break;
    sustained = n;
  }

  const p50 = percentile(eot, 50);
  const fastP50 = percentile(eotFast, 50);
  const labels = [...COMPLETE, ...opts.clips.map((c) => path.basename(c, '.wav'))];
  const heldOpen = labels.filter((_, i) => eot[i]! >= ENDED_EARLY_MS).map((l) => `"${l}"`);
  const pct = (x: number) => Math.round(x * 100);
  return [
    {
      name: 'Streaming end of turn p50, complete turns (speech end → end_of_turn), defaults',
      value: Math.round(p50),
      unit: 'ms',
      target: '≤ 500 ms',
      pass: p50 <= 500,
      note: `${COMPLETE.length} espeak-ng and ${clips.length} LibriVox sentences, ${range(eot.filter(Number.isFinite))} (LibriVox ${range(recordedEot.filter(Number.isFinite))}); held open to max_turn_silence: ${heldOpen.join(', ') || 'none'}; from sending the chunk that holds the speech's end`,
    },
    {
      name: 'Streaming end of turn p50 with min_turn_silence=160, max_turn_silence=400',
      value: Math.round(fastP50),
      unit: 'ms',
      target: '≤ 300 ms',
      pass: fastP50 <= 300,
      note: `${eotFast.length} complete turns, ${range(eotFast.filter(Number.isFinite))}`,
    },
    {
      name: 'Streaming: incomplete turns ended before max_turn_silence, defaults',
      value: pct(heldEarly.share),
      unit: '%',
      target: '≤ 10 %',
      pass: heldEarly.share <= 0.1,
      note: `${held.length} turns stopping mid-clause with the pitch held up (ended early: ${heldEarly.ended}); the same words with a sentence-final fall: ${pct(fallingEarly.share)} %`,
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
