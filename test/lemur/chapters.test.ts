import { describe, expect, it } from 'vitest';
import { chapterStarts, MIN_CHAPTER_MS } from '../../src/lemur/chapters.js';
import { toSections } from '../../src/lemur/sections.js';
import { toParagraphs } from '../../src/text/segments.js';
import type { TranscriptWord } from '../../src/transcript/types.js';

const WEATHER = [
  'The storm brought heavy rain and strong wind to the coast.',
  'Forecasters expect more rain and cloud over the weekend.',
  'The wind and the rain flooded roads near the river.',
  'A second storm front with cloud and rain arrives on Monday.',
];
const FOOTBALL = [
  'The team scored a late goal to win the match.',
  'Their best player missed a penalty in the first half of the match.',
  'The coach praised the team and the goalkeeper after the match.',
  'Next week the team plays the league leaders in a cup match.',
];

/** Paragraphs of at least `seconds` each (the sentence said again and again, a word every 400 ms), 3 s of silence between them. */
function transcript(paragraphs: string[], seconds: number): TranscriptWord[] {
  const words: TranscriptWord[] = [];
  let t = 0;
  for (const sentence of paragraphs) {
    const end = t + seconds * 1000;
    while (t < end) {
      for (const text of sentence.split(' ')) {
        words.push({ text, start: t, end: t + 300, confidence: 0.9, speaker: null });
        t += 400;
      }
    }
    t += 3000;
  }
  return words;
}

describe('auto_chapters boundaries (TextTiling over nouns)', () => {
  it('starts a chapter where the topic changes, and only there', () => {
    const paragraphs = toParagraphs(transcript([...WEATHER, ...FOOTBALL], 30));
    expect(paragraphs).toHaveLength(8);
    expect(chapterStarts(paragraphs)).toEqual([0, 4]);
  });

  it('keeps every chapter at least a minute long: a change after 30 s starts no chapter', () => {
    const paragraphs = toParagraphs(transcript([WEATHER[0]!, ...FOOTBALL, ...FOOTBALL], 30));
    const starts = chapterStarts(paragraphs);
    expect(starts[0]).toBe(0);
    expect(starts).not.toContain(1);
    const ends = [...starts.slice(1).map((s) => paragraphs[s]!.start), paragraphs.at(-1)!.end];
    for (const [i, s] of starts.entries()) expect(ends[i]! - paragraphs[s]!.start).toBeGreaterThanOrEqual(MIN_CHAPTER_MS);
  });

  it('gives one chapter to one topic, to a single paragraph and to a short file', () => {
    // Every paragraph on the storm, in the same words: nowhere does the vocabulary change.
    expect(chapterStarts(toParagraphs(transcript(Array(8).fill(WEATHER.join(' ')), 30)))).toEqual([0]);
    expect(chapterStarts(toParagraphs(transcript([WEATHER[0]!], 30)))).toEqual([0]);
    expect(chapterStarts(toParagraphs(transcript([WEATHER[0]!, FOOTBALL[0]!], 20)))).toEqual([0]);
  });
});

describe('sections for content_safety and iab_categories', () => {
  it('are whole sentences of at most 30 s, in order, covering every word, with their sentence indexes', () => {
    const words = transcript([...WEATHER, ...FOOTBALL], 12);
    const sections = toSections(words);
    expect(sections.length).toBeGreaterThan(3);
    expect(sections[0]!.start).toBe(words[0]!.start);
    expect(sections.at(-1)!.end).toBe(words.at(-1)!.end);
    expect(sections.map((s) => s.text).join(' ')).toBe(words.map((w) => w.text).join(' '));
    for (const [i, s] of sections.entries()) {
      expect(s.end - s.start).toBeLessThanOrEqual(30_000);
      if (i > 0) expect(s.sentenceStart).toBe(sections[i - 1]!.sentenceEnd + 1);
    }
  });

  it('cut a sentence longer than a section into pieces that keep its index', () => {
    // One punctuated sentence of 200 words (unpunctuated speech is cut into sentences of 50 at most).
    const words: TranscriptWord[] = Array.from({ length: 200 }, (_, i) => ({
      text: i === 199 ? 'word.' : 'word',
      start: i * 100,
      end: i * 100 + 80,
      confidence: 1,
      speaker: null,
    }));
    const sections = toSections(words);
    expect(sections.map((s) => s.text.split(' ').length)).toEqual([90, 90, 20]);
    expect(sections.every((s) => s.sentenceStart === 0 && s.sentenceEnd === 0)).toBe(true);
  });
});
