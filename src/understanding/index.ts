/**
 * What the pipeline applies to a finished transcript before it is stored: PII redaction (so no
 * unredacted word reaches the database, the logs or any export), entity detection, sentiment
 * analysis and key phrases (both read the redacted words, so neither holds what was redacted).
 */
import { transcriptText } from '../text/format.js';
import type { TranscriptParams } from '../transcript/params.js';
import type { AutoHighlightsResult, SentimentResult, TranscriptEntity, TranscriptWord } from '../transcript/types.js';
import { autoHighlights } from './highlights.js';
import { DETECTED_POLICIES, type PiiPolicy } from './pii/policies.js';
import { redactSegment, redactWords, type Redaction } from './pii/redact.js';
import { findPiiInWords, spanText } from './pii/words.js';
import { sentimentResults } from './sentiment.js';

type Segment = { text: string; words: TranscriptWord[] };

/** The parts of a transcript result that hold words: its own, and those of its utterances when it has any. */
export interface Understandable {
  text: string;
  words: TranscriptWord[];
  utterances?: Segment[] | null;
  entities?: TranscriptEntity[];
  sentiment_analysis_results?: SentimentResult[];
  auto_highlights_result?: AutoHighlightsResult;
}

export interface Understood<R> {
  result: R;
  /** Audio spans (ms) to beep or silence in the redacted audio. */
  redactedSpans: { start: number; end: number }[];
}

type Options = Pick<
  TranscriptParams,
  'redact_pii' | 'redact_pii_policies' | 'redact_pii_sub' | 'entity_detection' | 'sentiment_analysis' | 'auto_highlights'
>;

export function understand<R extends Understandable>(result: R, p: Options): Understood<R> {
  const original = result.words;
  let out: R = result;
  let redaction: Redaction | null = null;
  if (p.redact_pii) {
    redaction = redactWords(
      original,
      new Set(p.redact_pii_policies as PiiPolicy[]),
      p.redact_pii_sub === 'entity_name' ? 'entity_name' : 'hash',
    );
    const r = redaction;
    out = { ...out, words: r.words, text: transcriptText(r.words) };
    if (result.utterances) out.utterances = result.utterances.map((u) => redactSegment(u, original, r));
  }
  if (p.entity_detection) out = { ...out, entities: entities(original, redaction) };
  if (p.sentiment_analysis) out = { ...out, sentiment_analysis_results: sentimentResults(out.words) };
  if (p.auto_highlights) {
    const redacted = new Set(redaction?.replaced.filter((w, i) => w !== null && w !== original[i]));
    out = { ...out, auto_highlights_result: autoHighlights(out.words, (w) => redacted.has(w)) };
  }
  return { result: out, redactedSpans: redaction?.spans ?? [] };
}

/**
 * Upstream's entities, from the same recognisers. An entity whose words were redacted is shown as
 * redacted: the point of redact_pii is that the stored transcript holds none of it.
 */
function entities(words: readonly TranscriptWord[], redaction: Redaction | null): TranscriptEntity[] {
  return findPiiInWords(words, DETECTED_POLICIES).map((f) => {
    let text = f.text;
    if (redaction?.replaced.slice(f.firstWord, f.lastWord + 1).some((w, i) => w !== words[f.firstWord + i])) {
      text = spanText(redaction.replaced.slice(f.firstWord, f.lastWord + 1).filter((w): w is TranscriptWord => w !== null));
      // Inside a label another finding spans: its words are gone, so it reads as hashed.
      if (text === '') text = f.text.replace(/\S/g, '#');
    }
    return { entity_type: f.type, text, start: words[f.firstWord]!.start, end: words[f.lastWord]!.end };
  });
}
