import { describe, expect, it } from 'vitest';
import { DEFAULT_FORMAT_OPTIONS, formatWords, transcriptText } from '../../../src/text/format.js';
import type { TranscriptWord } from '../../../src/transcript/types.js';
import { DETECTED_POLICIES, type PiiPolicy } from '../../../src/understanding/pii/policies.js';
import { redactSegment, redactWords } from '../../../src/understanding/pii/redact.js';
import { analysedText, findPiiInWords } from '../../../src/understanding/pii/words.js';

/** Words 300 ms long with 50 ms between them, as an engine gives them, then formatted as the pipeline does. */
function transcript(spoken: string): TranscriptWord[] {
  let t = 0;
  const raw = spoken.split(' ').map((text) => {
    const w = { text, start: t, end: t + 300, confidence: 0.9 };
    t += 350;
    return w;
  });
  return formatWords(raw, DEFAULT_FORMAT_OPTIONS);
}

const policies = (...p: PiiPolicy[]) => new Set<PiiPolicy>(p);

describe('spoken digits', () => {
  it('a run of digit words is read as the number it spells, each word keeping its own digits', () => {
    const words = transcript('my number is four one five five five five two six seven one thanks');
    expect(transcriptText(words)).toBe('My number is four one five five five five two six seven one thanks.');
    const { text } = analysedText(words);
    expect(text).toBe('My number is 4155552671 thanks.');
    const [f] = findPiiInWords(words, policies('phone_number'));
    expect(f).toMatchObject({ type: 'phone_number', firstWord: 3, lastWord: 12, text: 'four one five five five five two six seven one' });
  });

  it('mixes digit words with the numbers the formatter made ("twenty three" → 23)', () => {
    const words = transcript('call five five five one twenty three four five six seven');
    expect(analysedText(words).text).toBe('Call 5551234567.');
    expect(findPiiInWords(words, policies('phone_number')).map((f) => f.text)).toEqual(['five five five one 23 four five six seven']);
  });

  it('a lone digit word, or "oh" starting a run, stays a word', () => {
    expect(analysedText(transcript('one of them said oh five')).text).toBe('One of them said oh five.');
  });

  it('a spoken card number is checked by Luhn like a written one', () => {
    const card = 'four one one one one one one one one one one one one one one one';
    expect(findPiiInWords(transcript(`my card is ${card}`), policies('credit_card_number'))).toHaveLength(1);
    expect(findPiiInWords(transcript(`my card is ${card.replace(/one$/, 'two')}`), policies('credit_card_number'))).toHaveLength(0);
  });
});

describe('spoken e-mail addresses', () => {
  it('"john dot smith at gmail dot com" is read as the address, each word keeping its part', () => {
    const words = transcript('email me at john dot smith at gmail dot com please');
    expect(analysedText(words).text).toBe('Email me at john.smith@gmail.com please.');
    expect(findPiiInWords(words, policies('email_address'))).toMatchObject([
      { firstWord: 3, lastWord: 9, text: 'john dot smith at gmail dot com' },
    ]);
  });
  it('needs a known top-level domain after the "at"', () => {
    expect(analysedText(transcript('look at this dot thing')).text).toBe('Look at this dot thing.');
    expect(analysedText(transcript('we meet at noon')).text).toBe('We meet at noon.');
  });
});

describe('redactWords', () => {
  const words = transcript('hi my name is john smith and my phone is four one five five five five two six seven one');

  it('hash: one # per character of each redacted word, punctuation kept, times unchanged', () => {
    const r = redactWords(words, policies('person_name', 'phone_number'), 'hash');
    expect(transcriptText(r.words)).toBe('Hi my name is #### ##### and my phone is #### ### #### #### #### #### ### ### ##### ###.');
    expect(r.words).toHaveLength(words.length);
    expect(r.words.map((w) => [w.start, w.end])).toEqual(words.map((w) => [w.start, w.end]));
    expect(r.findings.map((f) => f.type)).toEqual(['person_name', 'phone_number']);
  });

  it('entity_name: one label per finding, spanning its words', () => {
    const r = redactWords(words, policies('person_name', 'phone_number'), 'entity_name');
    expect(transcriptText(r.words)).toBe('Hi my name is [PERSON_NAME] and my phone is [PHONE_NUMBER].');
    const name = r.words.find((w) => w.text === '[PERSON_NAME]')!;
    expect([name.start, name.end]).toEqual([words[4]!.start, words[5]!.end]);
  });

  it('spans: the audio times of the redacted words, merged where they touch', () => {
    const r = redactWords(words, policies('person_name', 'phone_number'), 'hash');
    expect(r.spans).toEqual([
      { start: words[4]!.start, end: words[5]!.end },
      { start: words[10]!.start, end: words[19]!.end },
    ]);
  });

  it('only the requested policies are touched', () => {
    const r = redactWords(words, policies('phone_number'), 'hash');
    expect(transcriptText(r.words)).toContain('john smith');
    expect(redactWords(words, policies(), 'hash').words).toEqual(words);
  });

  it('near misses stay as they are', () => {
    const text = 'My order number is 4111 1111 1111 1112. See you in May. May I help? We had 150 people in 2019.';
    const plain = text.split(' ').map((t, i) => ({ text: t, start: i * 100, end: i * 100 + 90, confidence: 1, speaker: null }));
    expect(transcriptText(redactWords(plain, DETECTED_POLICIES, 'hash').words)).toBe(text);
  });

  it('a segment (an utterance) gets the same redaction as the whole transcript', () => {
    const r = redactWords(words, policies('person_name'), 'entity_name');
    const utterance = { text: transcriptText(words.slice(2, 7)), words: words.slice(2, 7), speaker: 'A' };
    expect(redactSegment(utterance, words, r)).toEqual({ text: 'name is [PERSON_NAME] and', words: expect.any(Array), speaker: 'A' });
    // A copy of the words (as read back from the database) is matched by time and text.
    expect(redactSegment(JSON.parse(JSON.stringify(utterance)), words, r).text).toBe('name is [PERSON_NAME] and');
  });
});
