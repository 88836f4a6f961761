/** Amounts of money: compromise's money phrases ("twenty dollars", "15 pesos", "$94.50"), split where it lists several. */
import type { Finding } from './policies.js';
import { matches, spansOf, trimSpan, type Analysed, type Recogniser } from './recogniser.js';

/** A list ("$94.50, €20") comes back as one phrase; each amount is its own finding. */
const LIST_SEPARATOR = /,\s+|\s+(?:and|or)\s+/g;

export const moneyRecogniser: Recogniser = {
  policies: ['money_amount'],
  find({ text, doc }: Analysed): Finding[] {
    const out: Finding[] = [];
    for (const s of spansOf(doc.money(), text)) {
      let from = s.start;
      const phrase = text.slice(s.start, s.end);
      for (const sep of [...matches(phrase, LIST_SEPARATOR), null]) {
        const to = sep ? s.start + sep.index : s.end;
        const part = trimSpan(text, from, to);
        // A bare number in the list ("$5, 6") is not an amount by itself.
        if (part.end > part.start && /[$€£¥]|\p{L}/u.test(text.slice(part.start, part.end)))
          out.push({ type: 'money_amount', ...part, score: 0.7 });
        if (sep) from = s.start + sep.index + sep[0].length;
      }
    }
    return out;
  },
};
