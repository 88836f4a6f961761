import { describe, expect, it } from 'vitest';
import { DEFAULT_FORMAT_OPTIONS, formatWords } from '../../src/text/format.js';
import type { TranscriptWord } from '../../src/transcript/types.js';
import { autoHighlights } from '../../src/understanding/highlights.js';
import { type Understandable, understand } from '../../src/understanding/index.js';
import { validateSchema } from '../helpers/openapi.js';

/** Engine-punctuated words 300 ms long, 50 ms apart. */
function words(text: string): TranscriptWord[] {
  const raw = text.split(' ').map((t, i) => ({ text: t, start: i * 350, end: i * 350 + 300, confidence: 0.9 }));
  return formatWords(raw, { ...DEFAULT_FORMAT_OPTIONS, enginePunctuated: true });
}

const TEXT =
  'Smoke from wildfires in Canada is triggering air quality alerts. The air quality alerts will last a week. ' +
  'We checked the air quality again. It is here.';

describe('autoHighlights', () => {
  it('ranks noun phrases by RAKE degree, with every occurrence’s times, valid against upstream’s schema', () => {
    const ws = words(TEXT);
    const r = autoHighlights(ws);
    validateSchema('AutoHighlightsResult', r);
    expect(r.status).toBe('success');
    const byText = new Map(r.results.map((h) => [h.text, h]));
    // air: in "air quality alerts" twice (3 + 3) and "air quality" once (2) → 8; quality 8; alerts 6.
    expect(r.results[0]).toMatchObject({ text: 'air quality alerts', count: 2 });
    const at = (i: number) => ({ start: ws[i]!.start, end: ws[i + 2]!.end });
    const first = ws.findIndex((w) => w.text === 'air');
    const second = ws.findIndex((w, i) => i > first && w.text === 'air');
    expect(r.results[0]!.timestamps).toEqual([at(first), at(second)]);
    // "air quality" is said three times: inside both "air quality alerts" and on its own.
    expect(byText.get('air quality')!.count).toBe(3);
    expect(byText.get('canada')).toMatchObject({ count: 1 });
    // Ranks fall with the score and are the phrases' shares.
    const ranks = r.results.map((h) => h.rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    expect(ranks.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 1);
  });

  it('near misses: no pronouns, articles or general words like "here" as key phrases', () => {
    const texts = autoHighlights(words(TEXT)).results.map((h) => h.text);
    for (const t of texts) expect(t).not.toMatch(/^(the|a|we|it|my) |^(we|it|here)$/);
    expect(texts).not.toContain('here');
    expect(texts).toContain('week');
  });

  it('near misses: no phrase holds a word filter_profanity masked', () => {
    const raw = 'The town hall is old. That town hall is total bullshit.'
      .split(' ')
      .map((t, i) => ({ text: t, start: i * 350, end: i * 350 + 300, confidence: 0.9 }));
    const ws = formatWords(raw, { ...DEFAULT_FORMAT_OPTIONS, enginePunctuated: true, filter_profanity: true });
    expect(ws.at(-1)!.text).toBe('b*******.');
    const texts = autoHighlights(ws).results.map((h) => h.text);
    expect(texts).toContain('town hall');
    expect(texts.filter((t) => /\bb$|\*/.test(t))).toEqual([]);
  });

  it('gives an empty success for no words', () => {
    expect(autoHighlights([])).toEqual({ status: 'success', results: [] });
  });
});

describe('understand: sentiment_analysis and auto_highlights read the redacted words', () => {
  it('no redacted name reaches a sentence or a key phrase', () => {
    const ws = words('John Smith loves the new office building. John Smith said the office building is great.');
    const input: Understandable = { text: '', words: ws };
    const { result } = understand(input, {
      redact_pii: true,
      redact_pii_policies: ['person_name'],
      redact_pii_sub: 'hash',
      entity_detection: false,
      sentiment_analysis: true,
      auto_highlights: true,
    });
    expect(result.sentiment_analysis_results!.map((s) => [s.text, s.sentiment])).toEqual([
      ['#### ##### loves the new office building.', 'POSITIVE'],
      ['#### ##### said the office building is great.', 'POSITIVE'],
    ]);
    const texts = result.auto_highlights_result!.results.map((h) => h.text);
    expect(texts).toContain('office building');
    expect(JSON.stringify(result.auto_highlights_result)).not.toMatch(/john|smith|#/i);
  });

  it('adds neither when not asked', () => {
    const { result } = understand(
      { text: '', words: words('I love it.') },
      {
        redact_pii: false,
        redact_pii_policies: null,
        redact_pii_sub: null,
        entity_detection: false,
        sentiment_analysis: false,
        auto_highlights: false,
      },
    );
    expect(result).not.toHaveProperty('sentiment_analysis_results');
    expect(result).not.toHaveProperty('auto_highlights_result');
  });
});
