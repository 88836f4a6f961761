import { afterAll, beforeAll, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../src/lemur/embedded.js';
import { directMessages, joinLines, SYSTEM_PROMPT, transcriptLines } from '../../src/lemur/prompt.js';
import { estimatePromptTokens, estimateTokens } from '../../src/lemur/tokens.js';
import { createLogger } from '../../src/log.js';
import { librivoxClips } from '../helpers/librivox.js';
import { TINY_MODEL } from '../helpers/llm.js';

let llm: EmbeddedBackend;
beforeAll(() => {
  llm = new EmbeddedBackend({
    modelPath: TINY_MODEL,
    name: 'tiny',
    contextTokens: 256,
    threads: 1,
    timeoutMs: 600_000,
    log: createLogger('warn'),
  });
});
afterAll(() => llm.close());

const SAMPLES = [
  'Speaker A: item 123 is due on day 3, and 4 people work on it.',
  'Transcript 1328cc9d-b510-491f-a0cb-bcff70a2ebda (1:02:05 of audio)',
  '[1:02:05] Speaker B: hello',
  'Über die Brücke gehen wir nächste Woche, schön!',
  '日本語のテキストです。これはテストです。',
  'Привет, как дела? Всё хорошо.',
  'Emoji 😀😀 and “quotes” — dashes',
  'const x = {"a": [1, 2, 3]}; // code',
  '     lots   of    spaces   ',
  '\t\ttabs\nand\nnewlines\n\n',
  SYSTEM_PROMPT,
];

it("over-estimates Llama 2's small-vocabulary tokenizer, the worst case for transcripts, but not wildly", async () => {
  const actual = await llm.countTokens('tiny', SAMPLES);
  SAMPLES.forEach((s, i) => {
    expect(estimateTokens(s), s).toBeGreaterThanOrEqual(actual[i]!);
    expect(estimateTokens(s), s).toBeLessThanOrEqual(actual[i]! * 2.6 + 2);
  });
});

it('over-estimates whole LeMUR prompts built from real transcripts', async () => {
  // LibriVox reference texts as transcripts: a word every 400 ms.
  const transcripts = librivoxClips().map((clip, n) => ({
    id: `0b2a8f6e-7c1d-4e5f-9a0b-1c2d3e4f5a${String(n).padStart(2, '0')}`,
    text: clip.reference,
    audioDuration: 30,
    words: clip.reference
      .split(' ')
      .map((w, i) => ({ text: w, start: i * 400 + (i % 17 === 16 ? 2500 : 0), end: i * 400 + 300, confidence: 1, speaker: 'AB'[n % 2]! })),
  }));
  const messages = directMessages(joinLines(transcriptLines(transcripts)), 'planning', 'Summarize the transcripts.');
  const exact = await llm.countPromptTokens('tiny', messages);
  expect(estimatePromptTokens(messages)).toBeGreaterThanOrEqual(exact);
  expect(estimatePromptTokens(messages)).toBeLessThan(exact * 2);
});
