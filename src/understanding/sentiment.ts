/**
 * sentiment_analysis: one result per sentence (the sentences /sentences serves), scored with the
 * AFINN-165 lexicon as the `sentiment` package ships it (4,149 English words rated −5…+5; "not", "don't",
 * "isn't" … flip the word after them).
 */
import Sentiment from 'sentiment';
import { toSentences } from '../text/segments.js';
import type { SentimentResult, TranscriptWord } from '../transcript/types.js';

type SentimentLabel = SentimentResult['sentiment'];

/**
 * NEUTRAL's logit. POSITIVE's is half the sentence's positive AFINN points, NEGATIVE's half its
 * negative points, so a sentence needs more than 2 points one way ("good", "bad", "love", "hate":
 * ±3) to leave NEUTRAL; a lone "yes", "sorry", "like" or "quality" (±1, ±2) does not.
 */
export const NEUTRAL_LOGIT = 1;

const analyser = new Sentiment();

/**
 * The label whose logit is highest, NEUTRAL when positive and negative tie, and as confidence that
 * label's softmax probability over the three logits.
 */
export function classify(text: string): { sentiment: SentimentLabel; confidence: number } {
  let positive = 0;
  let negative = 0;
  for (const scored of analyser.analyze(text).calculation) {
    const points = Object.values(scored)[0]!;
    if (points > 0) positive += points;
    else negative -= points;
  }
  const z = { NEUTRAL: NEUTRAL_LOGIT, POSITIVE: positive / 2, NEGATIVE: negative / 2 };
  const sentiment: SentimentLabel =
    z.POSITIVE > Math.max(z.NEGATIVE, z.NEUTRAL) ? 'POSITIVE' : z.NEGATIVE > Math.max(z.POSITIVE, z.NEUTRAL) ? 'NEGATIVE' : 'NEUTRAL';
  const total = Math.exp(z.NEUTRAL) + Math.exp(z.POSITIVE) + Math.exp(z.NEGATIVE);
  return { sentiment, confidence: Math.exp(z[sentiment]) / total };
}

export function sentimentResults(words: readonly TranscriptWord[]): SentimentResult[] {
  return toSentences(words).map((s) => {
    const r: SentimentResult = { text: s.text, start: s.start, end: s.end, ...classify(s.text), speaker: s.speaker };
    if (s.channel !== undefined) r.channel = s.channel;
    return r;
  });
}
