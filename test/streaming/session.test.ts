import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPocketsphinxEngine } from '../../src/engines/pocketsphinx.js';
import type { StreamingEngine } from '../../src/engines/engine.js';
import { StreamAudioConverter } from '../../src/streaming/audio.js';
import type { RemoteDecoder } from '../../src/streaming/decoder-pool.js';
import { DEFAULT_TURN_SETTINGS, LiveSession, type TurnSettings, type TurnUpdate } from '../../src/streaming/session.js';
import { SileroModel } from '../../src/streaming/silero-vad.js';
import { EnergyVad } from '../../src/streaming/vad.js';
import { SILERO_MODEL } from '../helpers/server.js';
import { espeakSpeech } from '../helpers/streaming.js';

/**
 * Turn endings of a live session on real speech (espeak-ng, pocketsphinx, Silero VAD), timed in audio:
 * each frame is decoded before the next is given, so an update's `atMs` is the audio heard when it was sent.
 * A sentence-final "." makes espeak-ng fall in pitch; a "," holds it up, as a speaker stopping mid-sentence does.
 */
const BYTES_PER_MS = 32;
const LEAD_MS = 500;
const TAIL_MS = 2500;
const { min_turn_silence: MIN, max_turn_silence: MAX, end_of_turn_confidence_threshold: THRESHOLD } = DEFAULT_TURN_SETTINGS;

let engine: StreamingEngine;
let vad: SileroModel;

beforeAll(async () => {
  engine = createPocketsphinxEngine();
  vad = await SileroModel.load(SILERO_MODEL);
});
afterAll(async () => {
  await vad?.close();
  await engine?.close();
});

/** The text spoken between silences, and where its speech ends (trailing digital silence trimmed). */
const speech = (text: string) => espeakSpeech(text, LEAD_MS, TAIL_MS);

type Update = TurnUpdate & { atMs: number };

/** Streams the audio through a session in 100 ms frames and collects its updates. */
async function stream(audio: Buffer, settings: Partial<TurnSettings> = {}): Promise<Update[]> {
  const d = engine.createStream();
  const decoder: RemoteDecoder = {
    accept: async (pcm) => d.accept(pcm),
    endUtterance: async () => ({ words: d.endUtterance(), embedding: null, language: null }),
    close: async () => d.close(),
  };
  const updates: Update[] = [];
  const session: LiveSession = new LiveSession(
    Promise.resolve(decoder),
    Promise.resolve(vad.open(DEFAULT_TURN_SETTINGS.vad_threshold)),
    new StreamAudioConverter('pcm_s16le', 16_000),
    { ...DEFAULT_TURN_SETTINGS, ...settings },
    { formatTurns: false, partials: true },
    (u) => updates.push({ ...u, atMs: session.audioMs }),
  );
  for (let i = 0; i < audio.length; i += 100 * BYTES_PER_MS) await session.audio(audio.subarray(i, i + 100 * BYTES_PER_MS));
  await session.abandon();
  return updates;
}

/** The one ended turn, and how much silence after the speech it took to end it. */
function ending(updates: Update[], speechEndMs: number): { turn: Update; waitedMs: number } {
  const ended = updates.filter((u) => u.endOfTurn);
  expect(ended).toHaveLength(1);
  return { turn: ended[0]!, waitedMs: ended[0]!.atMs - speechEndMs };
}

describe('live session turn endings (default settings)', () => {
  it.each(['I will meet you at the station tomorrow.', 'Thank you very much for your help.'])(
    'ends a complete turn after min_turn_silence, well before max_turn_silence: "%s"',
    async (text) => {
      const { audio, speechEndMs } = await speech(text);
      const { turn, waitedMs } = ending(await stream(audio), speechEndMs);
      expect(waitedMs).toBeGreaterThanOrEqual(MIN);
      expect(waitedMs).toBeLessThan(MIN + 250);
      expect(turn.endOfTurnConfidence).toBeGreaterThanOrEqual(THRESHOLD);
    },
  );

  it.each(['I will meet you at the,', 'I want to buy some apples and,', 'He said that he would call me when,'])(
    'keeps an incomplete turn open until max_turn_silence: "%s"',
    async (text) => {
      const { audio, speechEndMs } = await speech(text);
      const { turn, waitedMs } = ending(await stream(audio), speechEndMs);
      expect(waitedMs).toBeGreaterThanOrEqual(MAX);
      // It ended on silence alone, and says so: its confidence stayed below the threshold.
      expect(turn.endOfTurnConfidence).toBeLessThan(THRESHOLD);
    },
  );

  it('reports end_of_turn_confidence near 0 while the speaker talks', async () => {
    const { audio, speechEndMs } = await speech('I will meet you at the station tomorrow.');
    const partials = (await stream(audio)).filter((u) => !u.endOfTurn && u.atMs < speechEndMs);
    expect(partials.length).toBeGreaterThan(3);
    for (const u of partials) expect(u.endOfTurnConfidence).toBeLessThan(THRESHOLD / 2);
  });

  it('applies end_of_turn_confidence_threshold: 0 ends an incomplete turn at min_turn_silence, 1 makes a complete one wait', async () => {
    const incomplete = await speech('I will meet you at the,');
    const early = ending(await stream(incomplete.audio, { end_of_turn_confidence_threshold: 0 }), incomplete.speechEndMs);
    expect(early.waitedMs).toBeGreaterThanOrEqual(MIN);
    expect(early.waitedMs).toBeLessThan(MAX);
    const complete = await speech('I will meet you at the station tomorrow.');
    const late = ending(await stream(complete.audio, { end_of_turn_confidence_threshold: 1 }), complete.speechEndMs);
    expect(late.waitedMs).toBeGreaterThanOrEqual(MAX);
  });

  it('gives the same turns for the same audio', async () => {
    const { audio } = await speech('The weather is lovely today.');
    const a = await stream(audio);
    const b = await stream(audio);
    expect(b).toEqual(a);
    expect(a.filter((u) => u.endOfTurn)).toHaveLength(1);
  });
});

describe('filter_profanity in live sessions', () => {
  it('masks profane words in partial and final turns, formatted or not, and leaves the rest as heard', async () => {
    const heard = [
      { text: 'shit', start: 0, end: 300, confidence: 0.9 },
      { text: 'it', start: 300, end: 500, confidence: 0.9 },
    ];
    // A decoder that has heard those two words: the session's own masking is what is tested.
    const decoder: RemoteDecoder = {
      accept: async () => ({ words: heard, inSpeech: true }),
      endUtterance: async () => ({ words: heard, embedding: null, language: null }),
      close: async () => undefined,
    };
    const run = async (filterProfanity: boolean) => {
      const updates: TurnUpdate[] = [];
      const session = new LiveSession(
        Promise.resolve(decoder),
        Promise.resolve(new EnergyVad(0.4)),
        new StreamAudioConverter('pcm_s16le', 16_000),
        { ...DEFAULT_TURN_SETTINGS, max_turn_silence: 60_000 },
        { formatTurns: true, partials: true, filterProfanity },
        (u) => updates.push(u),
      );
      await session.audio(Buffer.alloc(3200));
      await session.forceEndpoint();
      await session.finish();
      return updates;
    };
    const masked = await run(true);
    const partial = masked.find((u) => !u.endOfTurn)!;
    const final = masked.find((u) => u.endOfTurn)!;
    expect(partial.words.map((w) => w.text)).toEqual(['s***', 'it']);
    expect(final.words.map((w) => w.text)).toEqual(['s***', 'it']);
    expect(final.formatted!.map((w) => w.text)).toEqual(['S***', 'it.']);
    const plain = await run(false);
    expect(plain.find((u) => u.endOfTurn)!.words.map((w) => w.text)).toEqual(['shit', 'it']);
  });
});
