import { describe, expect, it } from 'vitest';
import type { TranscriptWord } from '../../src/transcript/types.js';
import { NEUTRAL_LOGIT, classify, sentimentResults } from '../../src/understanding/sentiment.js';
import { validateSchema } from '../helpers/openapi.js';

/** Words 300 ms long, 50 ms apart, from `start`. */
function words(text: string, speaker: string | null = null, start = 0, channel?: string): TranscriptWord[] {
  return text.split(' ').map((t, i) => {
    const w: TranscriptWord = { text: t, start: start + i * 350, end: start + i * 350 + 300, confidence: 0.9, speaker };
    if (channel !== undefined) w.channel = channel;
    return w;
  });
}

const softmax = (z: number, ...others: number[]) => Math.exp(z) / [z, ...others].reduce((s, x) => s + Math.exp(x), 0);

describe('classify', () => {
  it('labels clear sentences, with the softmax probability as confidence', () => {
    // "love" +3, "wonderful" +4: 7 points, logit 3.5.
    expect(classify('I love this wonderful city.')).toEqual({ sentiment: 'POSITIVE', confidence: softmax(3.5, NEUTRAL_LOGIT, 0) });
    // "terrible" −3, "hate" −3.
    expect(classify('This is terrible and I hate it.')).toEqual({ sentiment: 'NEGATIVE', confidence: softmax(3, NEUTRAL_LOGIT, 0) });
    expect(classify('The meeting is at noon in room four.')).toEqual({ sentiment: 'NEUTRAL', confidence: softmax(NEUTRAL_LOGIT, 0, 0) });
  });

  it('reads negation: "not good" is negative', () => {
    expect(classify('This is good.').sentiment).toBe('POSITIVE');
    expect(classify('This is not good.').sentiment).toBe('NEGATIVE');
  });

  it('near misses stay neutral: one mild word, or positive and negative in balance', () => {
    expect(classify('Yes.').sentiment).toBe('NEUTRAL');
    expect(classify('The air quality alerts will last a week.').sentiment).toBe('NEUTRAL');
    const mixed = classify('The food was good but the service was bad.');
    expect(mixed.sentiment).toBe('NEUTRAL');
    expect(mixed.confidence).toBeLessThan(1 / 3);
    // More sentiment means more confidence.
    expect(classify('It was good.').confidence).toBeLessThan(classify('It was good, great and wonderful.').confidence);
  });
});

describe('sentimentResults', () => {
  it('gives one result per sentence with its text, times and speaker, valid against upstream’s schema', () => {
    const ws = [...words('I love it.', 'A'), ...words('This is awful.', 'B', 2000)];
    const results = sentimentResults(ws);
    expect(results).toEqual([
      { text: 'I love it.', start: 0, end: 1000, sentiment: 'POSITIVE', confidence: expect.any(Number), speaker: 'A' },
      { text: 'This is awful.', start: 2000, end: 3000, sentiment: 'NEGATIVE', confidence: expect.any(Number), speaker: 'B' },
    ]);
    for (const r of results) validateSchema('SentimentAnalysisResult', r);
  });

  it('keeps each channel’s sentences apart, with their channel', () => {
    const ws = [...words('great work', null, 0, '1'), ...words('terrible idea', null, 100, '2')];
    expect(sentimentResults(ws).map((r) => [r.channel, r.sentiment])).toEqual([
      ['1', 'POSITIVE'],
      ['2', 'NEGATIVE'],
    ]);
  });

  it('gives nothing for no words', () => {
    expect(sentimentResults([])).toEqual([]);
  });
});
