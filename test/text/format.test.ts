import { describe, expect, it } from 'vitest';
import {
  CLAUSE_PAUSE_MS,
  LONG_SENTENCE_WORDS,
  SENTENCE_PAUSE_MS,
  averageConfidence,
  formatWords,
  transcriptText,
  type FormatOptions,
  DEFAULT_FORMAT_OPTIONS,
  type InputWord,
} from '../../src/text/format.js';
import { validateSchema } from '../helpers/openapi.js';

const DEFAULTS: FormatOptions = DEFAULT_FORMAT_OPTIONS;

/** Words 300 ms long, separated by `gaps[i]` ms (default 50) of silence. */
function spoken(text: string, gaps: Record<number, number> = {}, confidence = 0.9): InputWord[] {
  let t = 0;
  return text.split(' ').map((word, i) => {
    const w = { text: word, start: t, end: t + 300, confidence };
    t += 300 + (gaps[i] ?? 50);
    return w;
  });
}

function format(words: InputWord[], opts: Partial<FormatOptions> = {}): string {
  return transcriptText(formatWords(words, { ...DEFAULTS, ...opts }));
}

describe('formatWords: output shape', () => {
  it('produces schema-valid TranscriptWords with speaker null and integer times', () => {
    const out = formatWords([{ text: ' hello ', start: 10.4, end: 200.6, confidence: 1.2 }], DEFAULTS);
    expect(out).toEqual([{ text: 'Hello.', start: 10, end: 201, confidence: 1, speaker: null }]);
    expect(out[0]).not.toHaveProperty('channel');
    for (const w of out) validateSchema('TranscriptWord', w);
  });

  it('keeps a given channel and speaker', () => {
    const out = formatWords([{ text: 'hi', start: 0, end: 100, confidence: 0.5, channel: '2', speaker: 'B' }], DEFAULTS);
    expect(out[0]).toMatchObject({ channel: '2', speaker: 'B' });
    validateSchema('TranscriptWord', out[0]);
  });

  it('drops empty words', () => {
    expect(formatWords([{ text: '  ', start: 0, end: 1, confidence: 1 }], DEFAULTS)).toEqual([]);
  });
});

describe('formatWords: disfluencies', () => {
  const words = spoken('um so uh-huh we mhm went hmm');
  it('removes fillers by default', () => {
    expect(format(words)).toBe('So we went.');
  });
  it('keeps them when disfluencies is true', () => {
    expect(format(words, { disfluencies: true })).toBe('Um so uh-huh we mhm went hmm.');
  });
  it('reads a pause around a dropped filler as hesitation, not a clause break', () => {
    expect(format(spoken('we went uh to the shop', { 2: 500 }))).toBe('We went to the shop.');
  });
  it('looks past fillers when deciding a sentence is a question', () => {
    expect(format(spoken('um what is it'))).toBe('What is it?');
  });
  it('moves a sentence end carried by a dropped filler to the previous word', () => {
    const whisper = [
      { text: 'So', start: 0, end: 100, confidence: 1 },
      { text: 'uh.', start: 150, end: 200, confidence: 1 },
      { text: 'Um,', start: 900, end: 1000, confidence: 1 },
      { text: 'yes.', start: 1100, end: 1200, confidence: 1 },
    ];
    expect(format(whisper, { enginePunctuated: true })).toBe('So. Yes.');
  });
});

describe('formatWords: punctuation from pauses', () => {
  it('ends sentences at long pauses and at the end of the audio', () => {
    expect(format(spoken('hello there general kenobi', { 1: SENTENCE_PAUSE_MS }))).toBe('Hello there. General kenobi.');
  });

  it('adds a comma at a clause pause, but not after a function word', () => {
    expect(format(spoken('well we went to the shop', { 0: CLAUSE_PAUSE_MS, 4: CLAUSE_PAUSE_MS }))).toBe('Well, we went to the shop.');
  });

  it('makes questions of wh-word + auxiliary and auxiliary + subject openings', () => {
    const text = 'what is this ok are you sure when i was young it rained';
    expect(format(spoken(text, { 2: 800, 3: 800, 6: 800 }))).toBe('What is this? Ok. Are you sure? When I was young it rained.');
  });

  it('ends an overlong sentence at a clause pause', () => {
    const many = Array.from({ length: LONG_SENTENCE_WORDS + 5 }, () => 'word').join(' ');
    const out = format(spoken(many, { [LONG_SENTENCE_WORDS - 1]: CLAUSE_PAUSE_MS }));
    expect(out.split('. ').length).toBe(2);
  });

  it('ends the sentence when the speaker changes', () => {
    const words = spoken('hi there hello').map((w, i) => ({ ...w, speaker: i < 2 ? 'A' : 'B' }));
    expect(format(words)).toBe('Hi there. Hello.');
  });

  it('leaves engine punctuation alone', () => {
    const whisper = [
      { text: 'Hello,', start: 0, end: 100, confidence: 1 },
      { text: 'world!', start: 2000, end: 2100, confidence: 1 },
    ];
    expect(format(whisper, { enginePunctuated: true })).toBe('Hello, world!');
  });
});

describe('formatWords: punctuate=false', () => {
  it('adds no punctuation to an unpunctuated engine', () => {
    expect(format(spoken('hello there general', { 0: 2000 }), { punctuate: false })).toBe('Hello there general');
  });

  it('strips engine punctuation but keeps what belongs to words', () => {
    const whisper = ['"Hello,', 'world."', "It's", '3.5', 'or', '3,000', 'or', '40%.', '—', '(fine)?'].map((text, i) => ({
      text,
      start: i * 100,
      end: i * 100 + 50,
      confidence: 1,
    }));
    expect(format(whisper, { punctuate: false, enginePunctuated: true })).toBe("Hello world It's 3.5 or 3,000 or 40% fine");
  });
});

describe('formatWords: format_text', () => {
  it('capitalises sentence starts and the pronoun I', () => {
    expect(format(spoken("i think i'm sure i'll go and i've done it", { 1: 800 }))).toBe("I think. I'm sure I'll go and I've done it.");
  });

  it('lowercases engine casing when false', () => {
    const whisper = [
      { text: 'Hello', start: 0, end: 100, confidence: 1 },
      { text: 'World.', start: 150, end: 200, confidence: 1 },
    ];
    expect(format(whisper, { enginePunctuated: true, format_text: false })).toBe('hello world.');
  });

  it('turns spoken numbers into digits', () => {
    expect(format(spoken('i ate ten hamburgers'))).toBe('I ate 10 hamburgers.');
    expect(format(spoken('twenty five people'))).toBe('25 people.');
    expect(format(spoken('two thousand and three'))).toBe('2003.');
    expect(format(spoken('one hundred twenty one'))).toBe('121.');
    expect(format(spoken('nineteen ninety nine'))).toBe('1999.');
    expect(format(spoken('twenty twenty four'))).toBe('2024.');
    expect(format(spoken('three million years'))).toBe('3,000,000 years.');
    expect(format(spoken('shrunk by forty percent'))).toBe('Shrunk by 40%.');
    expect(format(spoken('five percent'))).toBe('5%.');
  });

  it('leaves lone small numbers, "and" joins and unrelated words alone', () => {
    expect(format(spoken('no one saw one of them'))).toBe('No one saw one of them.');
    expect(format(spoken('one two three'))).toBe('One two three.');
    expect(format(spoken('two and three'))).toBe('Two and three.');
    expect(format(spoken('a hundred'))).toBe('A hundred.');
  });

  it('does not merge numbers across punctuation', () => {
    const whisper = [
      { text: 'twenty,', start: 0, end: 100, confidence: 1 },
      { text: 'five.', start: 150, end: 200, confidence: 1 },
    ];
    expect(format(whisper, { enginePunctuated: true })).toBe('20, five.');
  });

  it('gives a merged number the span of its words and their mean confidence', () => {
    const words = [
      { text: 'twenty', start: 100, end: 400, confidence: 0.5 },
      { text: 'five', start: 450, end: 900, confidence: 1 },
    ];
    expect(formatWords(words, DEFAULTS)).toEqual([{ text: '25.', start: 100, end: 900, confidence: 0.75, speaker: null }]);
  });

  it('keeps spoken numbers as words when format_text is false', () => {
    expect(format(spoken('twenty five'), { format_text: false })).toBe('twenty five.');
  });
});

describe('formatWords: filter_profanity', () => {
  it('masks profanity as first letter plus asterisks, keeping case, suffixes and punctuation', () => {
    const whisper = ['Shit,', "shit's", 'fucking', 'classic', 'ass.'].map((text, i) => ({
      text,
      start: i * 100,
      end: i * 100 + 50,
      confidence: 1,
    }));
    expect(format(whisper, { enginePunctuated: true, filter_profanity: true })).toBe("S***, s***'s f****** classic a**.");
  });

  it('masks words from the maintained list the old hand-written one lacked, and leaves near misses', () => {
    const words = spoken('that prick pissed in the cockpit of my cocktail bar in scunthorpe');
    expect(format(words, { filter_profanity: true })).toBe('That p**** p***** in the cockpit of my cocktail bar in scunthorpe.');
  });

  it('leaves profanity alone when off', () => {
    expect(format(spoken('oh shit'))).toBe('Oh shit.');
  });
});

describe('formatWords: custom_spelling', () => {
  it('replaces multi-word phrases case-insensitively, spanning the matched words', () => {
    const words = spoken('we called peter de carlo today');
    const out = formatWords(words, { ...DEFAULTS, custom_spelling: [{ from: ['De Carlo', 'dicarlo'], to: 'DeCarlo' }] });
    expect(transcriptText(out)).toBe('We called peter DeCarlo today.');
    const merged = out.find((w) => w.text === 'DeCarlo')!;
    expect([merged.start, merged.end]).toEqual([words[3]!.start, words[4]!.end]);
  });

  it('preserves adjacent punctuation and the exact case of `to`, even with format_text off', () => {
    const whisper = [
      { text: '"Sequel,"', start: 0, end: 100, confidence: 1 },
      { text: 'he', start: 150, end: 200, confidence: 1 },
      { text: 'said.', start: 250, end: 300, confidence: 1 },
    ];
    const out = formatWords(whisper, {
      ...DEFAULTS,
      enginePunctuated: true,
      format_text: false,
      custom_spelling: [{ from: ['sequel'], to: 'SQL' }],
    });
    expect(transcriptText(out)).toBe('"SQL," he said.');
  });

  it('allows spaces in `to` and prefers the longest match', () => {
    const out = formatWords(spoken('new york city is big'), {
      ...DEFAULTS,
      custom_spelling: [
        { from: ['new york'], to: 'New York' },
        { from: ['new york city'], to: 'New York City' },
      ],
    });
    expect(out.map((w) => w.text)).toEqual(['New York City', 'is', 'big.']);
  });
});

describe('transcriptText and averageConfidence', () => {
  const words = formatWords(
    spoken('a b', {}, 0.5).map((w, i) => ({ ...w, confidence: i ? 1 : 0.5 })),
    DEFAULTS,
  );
  it('joins words with spaces', () => {
    expect(transcriptText(words)).toBe('A b.');
  });
  it('averages confidence, null when there are no words', () => {
    expect(averageConfidence(words)).toBe(0.75);
    expect(averageConfidence([])).toBeNull();
  });
});
