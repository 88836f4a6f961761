import { describe, expect, it } from 'vitest';
import { TurnEndPredictor } from '../../src/streaming/turn-end.js';

const RATE = 16_000;

/** A voice-like buzz (a sawtooth, rich in harmonics) whose pitch glides from `fromHz` to `toHz`, as 16 kHz s16le. */
function glide(ms: number, fromHz: number, toHz: number, amplitude = 8000): Buffer {
  const n = (ms * RATE) / 1000;
  const out = Buffer.alloc(n * 2);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    phase = (phase + (fromHz + ((toHz - fromHz) * i) / n) / RATE) % 1;
    out.writeInt16LE(Math.round(amplitude * (2 * phase - 1)), i * 2);
  }
  return out;
}

const silence = (ms: number) => Buffer.alloc((ms * RATE * 2) / 1000);

/** Feeds 600 ms of level voice, then the given ending, then silence; returns the predictor and where speech ended. */
function spoken(ending: Buffer, chunkBytes = 3200): { p: TurnEndPredictor; endMs: number } {
  const speech = Buffer.concat([silence(200), glide(600, 120, 120), ending]);
  const audio = Buffer.concat([speech, silence(500)]);
  const p = new TurnEndPredictor();
  for (let i = 0; i < audio.length; i += chunkBytes) p.push(audio.subarray(i, i + chunkBytes));
  return { p, endMs: speech.length / 32 };
}

const words = (text: string) => text.split(' ').map((t) => ({ text: t }));

describe('turn-end predictor', () => {
  it('calls a turn whose pitch falls before the pause complete', () => {
    const { p, endMs } = spoken(glide(300, 120, 95));
    expect(p.completeness(words('see you tomorrow'), endMs)).toBeGreaterThan(0.9);
  });

  it('calls a turn whose pitch rises or holds before the pause incomplete, below the default threshold', () => {
    const rising = spoken(glide(300, 110, 135));
    expect(rising.p.completeness(words('see you tomorrow'), rising.endMs)).toBeLessThan(0.1);
    const level = spoken(glide(300, 120, 120));
    expect(level.p.completeness(words('see you tomorrow'), level.endMs)).toBeLessThan(0.5);
    expect(level.p.completeness(words('see you tomorrow'), level.endMs)).toBeGreaterThan(0.3);
  });

  it.each(['the', 'and', 'because', 'at', 'We'])('calls a turn ending on "%s" incomplete, whatever its pitch', (last) => {
    const { p, endMs } = spoken(glide(300, 120, 95));
    expect(p.completeness(words(`I will meet you ${last}`), endMs)).toBe(0.1);
  });

  it('ignores weak voicing after the fall (creak, breath), whose pitch is noise', () => {
    const { p, endMs } = spoken(Buffer.concat([glide(300, 120, 95), glide(100, 60, 90, 300)]));
    expect(p.completeness(words('see you tomorrow'), endMs)).toBeGreaterThan(0.9);
  });

  it('says nothing either way (0.5) without voicing to judge', () => {
    const p = new TurnEndPredictor();
    p.push(silence(2000));
    expect(p.completeness(words('hello'), 2000)).toBe(0.5);
  });

  it('judges only the voicing before the speech end it is given', () => {
    const { p, endMs } = spoken(glide(300, 120, 95));
    // 300 ms earlier the voice was still level.
    expect(p.completeness(words('see you'), endMs - 300)).toBeLessThan(0.5);
  });

  it('answers the same however the audio is chunked', () => {
    const ending = glide(300, 120, 100);
    const answers = [3200, 1600, 1234, 640 * 7].map((c) => {
      const { p, endMs } = spoken(ending, c);
      return p.completeness(words('fine'), endMs);
    });
    expect(new Set(answers).size).toBe(1);
  });
});
