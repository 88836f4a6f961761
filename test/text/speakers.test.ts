import { describe, expect, it } from 'vitest';
import { assignSpeakers, speakerLabel } from '../../src/text/speakers.js';
import type { TranscriptWord } from '../../src/transcript/types.js';

const word = (text: string, start: number, end: number, extra: Partial<TranscriptWord> = {}): TranscriptWord => ({
  text,
  start,
  end,
  confidence: 0.8,
  speaker: null,
  ...extra,
});

describe('assignSpeakers', () => {
  it('gives each word the speaker that overlaps it most, lettered in order of first appearance', () => {
    const turns = [
      { start: 0, end: 1000, speaker: 3 },
      { start: 900, end: 2000, speaker: 0 },
      { start: 2500, end: 3000, speaker: 3 },
    ];
    const words = [word('a', 100, 400), word('b', 850, 1200), word('c', 1500, 1800), word('d', 2600, 2900)];
    expect(assignSpeakers(words, turns).map((w) => w.speaker)).toEqual(['A', 'B', 'B', 'A']);
    expect(words[0]!.speaker).toBeNull(); // copies, not the caller's words
  });

  it('gives a word outside every turn the nearest turn\'s speaker, and everything "A" without turns', () => {
    const turns = [
      { start: 0, end: 1000, speaker: 1 },
      { start: 5000, end: 6000, speaker: 2 },
    ];
    const words = [word('near-first', 1200, 1400), word('near-second', 4500, 4800), word('after', 7000, 7200)];
    expect(assignSpeakers(words, turns).map((w) => w.speaker)).toEqual(['A', 'B', 'B']);
    expect(assignSpeakers(words, []).map((w) => w.speaker)).toEqual(['A', 'A', 'A']);
  });

  it('stays linear on long transcripts with turns nested in longer ones', () => {
    const turns = Array.from({ length: 20_000 }, (_, i) => ({ start: i * 1000, end: i * 1000 + (i % 2 ? 400 : 3000), speaker: i % 3 }));
    const words = Array.from({ length: 100_000 }, (_, i) => word('w', i * 200, i * 200 + 150));
    const labelled = assignSpeakers(words, turns);
    expect(labelled).toHaveLength(100_000);
    expect(new Set(labelled.map((w) => w.speaker))).toEqual(new Set(['A', 'B', 'C']));
  });
});

describe('speakerLabel', () => {
  it('letters A to Z, then AA, AB, …', () => {
    expect([0, 1, 25, 26, 27, 51, 52].map(speakerLabel)).toEqual(['A', 'B', 'Z', 'AA', 'AB', 'AZ', 'BA']);
  });
});
