import { describe, expect, it } from 'vitest';
import { CLAUSE_PAUSE_MS, LONG_SENTENCE_WORDS, SENTENCE_PAUSE_MS } from '../../src/text/format.js';
import { MAX_PARAGRAPH_WORDS, PARAGRAPH_PAUSE_MS, toParagraphs, toSentences, toUtterances } from '../../src/text/segments.js';
import type { TranscriptWord } from '../../src/transcript/types.js';
import { validateSchema } from '../helpers/openapi.js';

const ID = 'd5a3d302-066e-43fb-b63b-8f57baf185db';

interface WordOpts {
  gap?: number;
  speaker?: string | null;
  channel?: string;
  confidence?: number;
}

/**
 * Builds TranscriptWords, 300 ms each, 50 ms apart by default. Each entry is a word or
 * [word, opts]; opts.gap is the silence BEFORE that word.
 */
function words(...items: (string | [string, WordOpts])[]): TranscriptWord[] {
  let t = 0;
  return items.map((item, i) => {
    const [text, opts] = typeof item === 'string' ? [item, {} as WordOpts] : item;
    if (i > 0) t += opts.gap ?? 50;
    const w: TranscriptWord = { text, start: t, end: t + 300, confidence: opts.confidence ?? 0.9, speaker: opts.speaker ?? null };
    if (opts.channel !== undefined) w.channel = opts.channel;
    t += 300;
    return w;
  });
}

/** `n` plain words ending in a full stop. */
function sentenceOf(n: number, label: string): string[] {
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? `${label}${i}.` : `${label}${i}`));
}

describe('toSentences', () => {
  it('splits a punctuated transcript at terminal punctuation and fills every field', () => {
    const ws = words(['Hello', { confidence: 0.5 }], ['world.', { confidence: 1 }], 'How', 'are', 'you?', 'Fine!', 'Good');
    const sentences = toSentences(ws);
    expect(sentences.map((s) => s.text)).toEqual(['Hello world.', 'How are you?', 'Fine!', 'Good']);
    const [first] = sentences;
    expect(first).toEqual({
      text: 'Hello world.',
      start: ws[0]!.start,
      end: ws[1]!.end,
      confidence: 0.75,
      words: [ws[0], ws[1]],
      speaker: null,
    });
    expect(first).not.toHaveProperty('channel');
    expect(sentences[3]!.start).toBe(ws[6]!.start);
    expect(sentences[3]!.end).toBe(ws[6]!.end);
    validateSchema('SentencesResponse', { id: ID, confidence: 0.9, audio_duration: 3, sentences });
  });

  it('does not end a sentence at an abbreviation', () => {
    const sentences = toSentences(words('I', 'met', 'Mr.', 'Smith', 'today.', 'Then', 'left.'));
    expect(sentences.map((s) => s.text)).toEqual(['I met Mr. Smith today.', 'Then left.']);
  });

  it('ignores pauses once the transcript has punctuation', () => {
    const sentences = toSentences(words('one', ['two', { gap: 5000 }], 'three.'));
    expect(sentences).toHaveLength(1);
    expect(sentences[0]!.text).toBe('one two three.');
  });

  it('splits an unpunctuated transcript at pauses of SENTENCE_PAUSE_MS or more', () => {
    const ws = words('one', 'two', ['three', { gap: SENTENCE_PAUSE_MS }], 'four', ['five', { gap: SENTENCE_PAUSE_MS - 1 }]);
    expect(toSentences(ws).map((s) => s.text)).toEqual(['one two', 'three four five']);
  });

  it('cuts long unpunctuated speech at a clause pause once a sentence is long, and at the latest after twice that', () => {
    // `n` words 10 ms apart, the first `before` ms after the word before it.
    const run = (n: number, before: number) =>
      Array.from({ length: n }, (_, i) => ['w', { gap: i === 0 ? before : 10 }] as [string, { gap: number }]);
    // A clause pause ends a long sentence, not a short one.
    const clause = toSentences(words(...run(5, 10), ...run(LONG_SENTENCE_WORDS, CLAUSE_PAUSE_MS), ...run(3, CLAUSE_PAUSE_MS)));
    expect(clause.map((s) => s.words.length)).toEqual([5 + LONG_SENTENCE_WORDS, 3]);
    // No pause at all: pieces of 2 × LONG_SENTENCE_WORDS words, none lost.
    const none = toSentences(words(...run(5 * LONG_SENTENCE_WORDS, 10)));
    expect(none.map((s) => s.words.length)).toEqual([50, 50, 25]);
  });

  it('always splits at a change of speaker and reports the speaker', () => {
    const ws = words(['Hi', { speaker: 'A' }], ['there', { speaker: 'A' }], ['yes', { speaker: 'B' }], ['indeed.', { speaker: 'B' }]);
    const sentences = toSentences(ws);
    expect(sentences.map((s) => [s.speaker, s.text])).toEqual([
      ['A', 'Hi there'],
      ['B', 'yes indeed.'],
    ]);
    validateSchema('SentencesResponse', { id: ID, confidence: 0.9, audio_duration: 2, sentences });
  });

  it('keeps interleaved channels apart, ordered by start time, with their channel', () => {
    // Channel 1 says "one two three." while channel 2 says "alpha beta." in between.
    const ws: TranscriptWord[] = [
      { text: 'one', start: 0, end: 200, confidence: 1, speaker: null, channel: '1' },
      { text: 'alpha', start: 100, end: 300, confidence: 1, speaker: null, channel: '2' },
      { text: 'two', start: 300, end: 500, confidence: 1, speaker: null, channel: '1' },
      { text: 'beta.', start: 400, end: 600, confidence: 1, speaker: null, channel: '2' },
      { text: 'three.', start: 600, end: 800, confidence: 1, speaker: null, channel: '1' },
      { text: 'gamma.', start: 900, end: 1000, confidence: 1, speaker: null, channel: '2' },
    ];
    const sentences = toSentences(ws);
    expect(sentences.map((s) => [s.channel, s.text, s.start, s.end])).toEqual([
      ['1', 'one two three.', 0, 800],
      ['2', 'alpha beta.', 100, 600],
      ['2', 'gamma.', 900, 1000],
    ]);
    validateSchema('SentencesResponse', { id: ID, confidence: 1, audio_duration: 1, sentences });
  });

  it('returns no sentences for no words', () => {
    expect(toSentences([])).toEqual([]);
    validateSchema('SentencesResponse', { id: ID, confidence: 0, audio_duration: 0, sentences: [] });
  });

  it('loses and reorders no words', () => {
    const ws = words(...'The cat sat. On the mat? Yes! It did'.split(' '));
    expect(toSentences(ws).flatMap((s) => s.words)).toEqual(ws);
  });
});

describe('toParagraphs', () => {
  it('keeps sentences with short pauses together and breaks at PARAGRAPH_PAUSE_MS', () => {
    const ws = words('One.', 'Two.', ['Three.', { gap: PARAGRAPH_PAUSE_MS - 1 }], ['Four.', { gap: PARAGRAPH_PAUSE_MS }], 'Five.');
    const paragraphs = toParagraphs(ws);
    expect(paragraphs.map((p) => p.text)).toEqual(['One. Two. Three.', 'Four. Five.']);
    expect(paragraphs[1]).toEqual({
      text: 'Four. Five.',
      start: ws[3]!.start,
      end: ws[4]!.end,
      confidence: 0.9,
      words: [ws[3], ws[4]],
    });
    for (const p of paragraphs) expect(p).not.toHaveProperty('speaker');
    validateSchema('ParagraphsResponse', { id: ID, confidence: 0.9, audio_duration: 5, paragraphs });
  });

  it('breaks at a change of speaker', () => {
    const ws = words(['Hi.', { speaker: 'A' }], ['Hello.', { speaker: 'A' }], ['Bye.', { speaker: 'B' }]);
    expect(toParagraphs(ws).map((p) => p.text)).toEqual(['Hi. Hello.', 'Bye.']);
  });

  it('breaks at a change of channel', () => {
    const ws: TranscriptWord[] = [
      { text: 'Left.', start: 0, end: 200, confidence: 1, speaker: null, channel: '1' },
      { text: 'Right.', start: 300, end: 500, confidence: 1, speaker: null, channel: '2' },
      { text: 'Right again.', start: 600, end: 800, confidence: 1, speaker: null, channel: '2' },
    ];
    const paragraphs = toParagraphs(ws);
    expect(paragraphs.map((p) => p.text)).toEqual(['Left.', 'Right. Right again.']);
    validateSchema('ParagraphsResponse', { id: ID, confidence: 1, audio_duration: 1, paragraphs });
  });

  it('takes no further sentence once a paragraph holds MAX_PARAGRAPH_WORDS words', () => {
    const per = MAX_PARAGRAPH_WORDS / 4;
    const labels = ['a', 'b', 'c', 'd', 'e', 'f'];
    const ws = words(...labels.flatMap((l) => sentenceOf(per, l)));
    const paragraphs = toParagraphs(ws);
    expect(paragraphs.map((p) => p.words.length)).toEqual([MAX_PARAGRAPH_WORDS, 2 * per]);
    expect(paragraphs[1]!.words[0]!.text).toBe('e0');
    expect(paragraphs.flatMap((p) => p.words)).toEqual(ws);
  });

  it('does not cut a sentence to respect the word limit', () => {
    const long = sentenceOf(MAX_PARAGRAPH_WORDS + 20, 'x');
    const paragraphs = toParagraphs(words(...long, 'Short.'));
    expect(paragraphs.map((p) => p.words.length)).toEqual([MAX_PARAGRAPH_WORDS + 20, 1]);
  });

  it('returns no paragraphs for no words', () => {
    expect(toParagraphs([])).toEqual([]);
  });
});

describe('toUtterances', () => {
  /** A word of `channel` (its speaker too, as multichannel labels them) from `start` to `end` ms. */
  const on = (channel: string, text: string, start: number, end: number): TranscriptWord => ({
    text,
    start,
    end,
    confidence: 0.8,
    speaker: channel,
    channel,
  });

  it("ends a channel's turn when the other channel speaks in its silence, not when it talks over it", () => {
    const ws = [
      on('1', 'hello', 0, 300),
      on('1', 'there', 350, 700),
      on('2', 'yes', 500, 650), // said over channel 1: no new turn
      on('2', 'hi', 900, 1200), // in channel 1's silence: channel 1's next word starts a new utterance
      on('1', 'how', 1300, 1500),
      on('1', 'are', 1550, 1700),
    ];
    const utterances = toUtterances(ws);
    expect(utterances.map((u) => [u.channel, u.speaker, u.text, u.start, u.end])).toEqual([
      ['1', '1', 'hello there', 0, 700],
      ['2', '2', 'yes hi', 500, 1200],
      ['1', '1', 'how are', 1300, 1700],
    ]);
    expect(utterances[0]!.confidence).toBeCloseTo(0.8);
    for (const u of utterances) validateSchema('TranscriptUtterance', u);
  });

  it('without channels, splits at each change of speaker', () => {
    const ws = words(['a', { speaker: 'A' }], ['b', { speaker: 'A' }], ['c', { speaker: 'B' }], ['d', { speaker: 'A', gap: 5000 }]);
    expect(toUtterances(ws).map((u) => [u.speaker, u.text, 'channel' in u])).toEqual([
      ['A', 'a b', false],
      ['B', 'c', false],
      ['A', 'd', false],
    ]);
  });
});
