/** The part of the `sentiment` package (AFINN-165, no bundled types) that Earshot uses. */
declare module 'sentiment' {
  interface AnalysisResult {
    score: number;
    comparative: number;
    /** One `{ token: score }` per scored token, negation ("not good") already applied. */
    calculation: Record<string, number>[];
    tokens: string[];
    words: string[];
    positive: string[];
    negative: string[];
  }
  export default class Sentiment {
    analyze(phrase: string): AnalysisResult;
  }
}
