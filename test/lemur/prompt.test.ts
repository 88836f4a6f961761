import { describe, expect, it } from 'vitest';
import {
  clock,
  contextText,
  directMessages,
  inputTextLines,
  joinLines,
  optionsSchema,
  parseOptionAnswer,
  questionAsk,
  transcriptLines,
  type SourceTranscript,
} from '../../src/lemur/prompt.js';
import type { TranscriptWord } from '../../src/transcript/types.js';

/** Words one after another, 300 ms each, with a speaker. */
function words(text: string, startMs: number, speaker: string | null = null): TranscriptWord[] {
  return text.split(' ').map((w, i) => ({ text: w, start: startMs + i * 300, end: startMs + i * 300 + 250, confidence: 0.9, speaker }));
}

const t = (id: string, ws: TranscriptWord[], text = ''): SourceTranscript => ({ id, text, words: ws, audioDuration: 3725.4 });

describe('transcript prompt lines', () => {
  it('formats clock times under and over an hour', () => {
    expect(clock(0)).toBe('00:00');
    expect(clock(65_999)).toBe('01:05');
    expect(clock(3_725_400)).toBe('1:02:05');
  });

  it('starts each transcript with a heading and each line with its time', () => {
    const lines = transcriptLines([t('abc', words('Hello there. How are you?', 61_000))]);
    expect(lines.map((l) => l.text)).toEqual(['Transcript abc (1:02:05 of audio)', '[01:01] Hello there. How are you?']);
    expect(lines.every((l) => l.heading === 'Transcript abc (1:02:05 of audio)')).toBe(true);
  });

  it('breaks lines at a change of speaker and at long pauses, naming speakers when known', () => {
    const ws = [...words('We ship on Friday.', 0, 'A'), ...words('Fine by me.', 1_500, 'B'), ...words('After a long pause.', 10_000, 'B')];
    expect(
      transcriptLines([t('x', ws)])
        .slice(1)
        .map((l) => l.text),
    ).toEqual(['[00:00] Speaker A: We ship on Friday.', '[00:01] Speaker B: Fine by me.', '[00:10] Speaker B: After a long pause.']);
  });

  it('closes long lines at a sentence end, and at the latest after 120 words', () => {
    const sentence = `${Array.from({ length: 70 }, (_, i) => `w${i}`).join(' ')}. next`;
    const [, first, second] = transcriptLines([t('x', words(sentence, 0))]);
    expect(first!.text.endsWith('w69.')).toBe(true);
    expect(second!.text).toBe('[00:21] next');
    const endless = Array.from({ length: 250 }, (_, i) => `w${i}`).join(' ');
    expect(
      transcriptLines([t('x', words(endless, 0))])
        .slice(1)
        .map((l) => l.text.split(' ').length - 1),
    ).toEqual([120, 120, 10]);
  });

  it('uses the text of a transcript without words', () => {
    expect(transcriptLines([t('x', [], 'just text')])[1]!.text).toBe('just text');
  });

  it('repeats the heading when a chunk starts inside a transcript', () => {
    const lines = transcriptLines([t('x', [...words('One.', 0), ...words('Two.', 5_000)])]);
    expect(joinLines(lines)).toBe('Transcript x (1:02:05 of audio)\n[00:00] One.\n[00:05] Two.');
    expect(joinLines(lines.slice(2))).toBe('Transcript x (1:02:05 of audio) (continued)\n[00:05] Two.');
    expect(joinLines(inputTextLines('a\n\nb\n'))).toBe('a\nb');
  });
});

describe('instructions', () => {
  it('puts context and transcripts before the instruction', () => {
    const [system, user] = directMessages('T', contextText({ meeting: 'standup' }), 'Do it.');
    expect(system!.role).toBe('system');
    expect(user!.content).toBe('Context: {"meeting":"standup"}\n\n<transcripts>\nT\n</transcripts>\n\nDo it.');
    expect(contextText(undefined)).toBe('');
  });

  it('turns answer_options into a JSON schema and reads the answer back', () => {
    const ask = questionAsk({ question: 'Ship?', answer_options: ['Yes', 'No'] });
    expect(ask.jsonSchema).toEqual(optionsSchema(['Yes', 'No']));
    expect(ask.instruction).toContain('exactly one of these options: Yes, No');
    expect(parseOptionAnswer('{"answer": "No"}')).toBe('No');
    expect(parseOptionAnswer(' {"answer": "N')).toBe('{"answer": "N');
    const formatted = questionAsk({ question: 'When?', answer_format: 'a date', context: 'planning' });
    expect(formatted.jsonSchema).toBeUndefined();
    expect(formatted.instruction).toBe('Answer this question: When?\nContext for this question: planning\nAnswer format: a date');
  });
});
