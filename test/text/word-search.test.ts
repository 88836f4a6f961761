import { describe, expect, it } from 'vitest';
import { MAX_SEARCH_PHRASE_WORDS, searchWords } from '../../src/text/word-search.js';
import type { TranscriptWord } from '../../src/transcript/types.js';
import { validateSchema } from '../helpers/openapi.js';

const ID = 'd5a3d302-066e-43fb-b63b-8f57baf185db';

/** Word i spans [1000 i, 1000 i + 500]. */
function transcript(text: string): TranscriptWord[] {
  return text.split(' ').map((word, i) => ({ text: word, start: i * 1000, end: i * 1000 + 500, confidence: 1, speaker: null }));
}

const WORDS = transcript('Smoke from the fires. The smoke, they said, is SMOKE from far away fires.');
//                         0     1    2   3      4   5       6     7      8  9     10   11  12   13

describe('searchWords', () => {
  it('finds a word case- and punctuation-insensitively, with indexes and [start, end] timestamps', () => {
    const result = searchWords(WORDS, ['smoke']);
    expect(result).toEqual({
      total_count: 3,
      matches: [
        {
          text: 'smoke',
          count: 3,
          indexes: [0, 5, 9],
          timestamps: [
            [0, 500],
            [5000, 5500],
            [9000, 9500],
          ],
        },
      ],
    });
    validateSchema('WordSearchResponse', { id: ID, ...result });
  });

  it('finds a phrase; the timestamp spans the whole phrase and the index is its first word', () => {
    const result = searchWords(WORDS, ['from far away']);
    expect(result.matches).toEqual([{ text: 'from far away', count: 1, indexes: [10], timestamps: [[10_000, 12_500]] }]);
  });

  it('matches phrases across punctuation and case differences', () => {
    const result = searchWords(WORDS, ['Fires the SMOKE']);
    expect(result.matches[0]).toMatchObject({ count: 1, indexes: [3], timestamps: [[3000, 5500]] });
  });

  it('does not match a phrase whose words are not adjacent', () => {
    expect(searchWords(WORDS, ['smoke fires']).matches[0]!.count).toBe(0);
  });

  it(`matches phrases of up to ${MAX_SEARCH_PHRASE_WORDS} words and no longer`, () => {
    const five = 'the smoke they said is';
    const six = 'the smoke they said is smoke';
    expect(five.split(' ')).toHaveLength(MAX_SEARCH_PHRASE_WORDS);
    const result = searchWords(WORDS, [five, six]);
    expect(result.matches).toEqual([
      { text: five, count: 1, indexes: [4], timestamps: [[4000, 8500]] },
      { text: six, count: 0, indexes: [], timestamps: [] },
    ]);
    expect(result.total_count).toBe(1);
  });

  it('reports every distinct term, absent ones with count 0, and sums total_count', () => {
    const result = searchWords(WORDS, ['fires', 'rain', 'the']);
    expect(result.matches.map((m) => [m.text, m.count])).toEqual([
      ['fires', 2],
      ['rain', 0],
      ['the', 2],
    ]);
    expect(result.total_count).toBe(4);
    validateSchema('WordSearchResponse', { id: ID, ...result });
  });

  it('keeps the term as sent (trimmed) and merges terms that differ only in case or punctuation', () => {
    const result = searchWords(WORDS, ['  Smoke ', 'smoke', 'SMOKE!', '']);
    expect(result.matches).toHaveLength(1);
    expect(result.matches[0]).toMatchObject({ text: 'Smoke', count: 3 });
    expect(result.total_count).toBe(3);
  });

  it('skips terms that are only punctuation', () => {
    expect(searchWords(WORDS, ['...', '?'])).toEqual({ total_count: 0, matches: [] });
  });

  it('counts overlapping matches of a repeated phrase', () => {
    const result = searchWords(transcript('la la la la'), ['la la']);
    expect(result.matches[0]).toMatchObject({ count: 3, indexes: [0, 1, 2] });
  });

  it('finds numbers written with separators', () => {
    const words = transcript('It cost 3,000 dollars');
    expect(searchWords(words, ['3000']).matches[0]).toMatchObject({ count: 1, indexes: [2] });
    expect(searchWords(words, ['3,000']).matches[0]).toMatchObject({ count: 1, indexes: [2] });
  });

  it('matches a multi-word transcript word (custom spelling) only as a whole', () => {
    const words: TranscriptWord[] = [
      { text: 'I', start: 0, end: 100, confidence: 1, speaker: null },
      { text: 'love', start: 200, end: 300, confidence: 1, speaker: null },
      { text: 'New York', start: 400, end: 900, confidence: 1, speaker: null },
      { text: 'city.', start: 1000, end: 1300, confidence: 1, speaker: null },
    ];
    const result = searchWords(words, ['new york', 'york', 'new', 'new york city', 'love new york']);
    expect(result.matches.map((m) => [m.text, m.count, m.indexes, m.timestamps])).toEqual([
      ['new york', 1, [2], [[400, 900]]],
      ['york', 0, [], []],
      ['new', 0, [], []],
      ['new york city', 1, [2], [[400, 1300]]],
      ['love new york', 1, [1], [[200, 900]]],
    ]);
  });

  it('finds nothing in an empty transcript', () => {
    const result = searchWords([], ['anything']);
    expect(result).toEqual({ total_count: 0, matches: [{ text: 'anything', count: 0, indexes: [], timestamps: [] }] });
    validateSchema('WordSearchResponse', { id: ID, ...result });
  });
});
