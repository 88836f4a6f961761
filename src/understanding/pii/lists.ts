/** Closed vocabularies: blood types and zodiac signs, as whole words. */
import { withContext } from './context.js';
import type { Finding } from './policies.js';
import { matches, type Analysed, type Recogniser } from './recogniser.js';

/** "O-", "AB positive", "type A+"; needs "blood" or "type" near it ("a grade A+" is not a blood type). A bare "A" or "O" never counts. */
const BLOOD = /(?<![\w-])(?:AB|A|B|O)(?:[+-](?![\w+-])|\s(?:positive|negative|pos|neg)\b)/g;
const BLOOD_CONTEXT = ['blood', 'type', 'donor', 'transfusion', 'rh'];
const ZODIAC = /\b(?:aries|taurus|gemini|cancer|leo|virgo|libra|scorpio|sagittarius|capricorn|aquarius|pisces)\b/gi;
/** "Cancer" and "Leo" are also a disease and a name: they count only right after an astrological word ("my sign is Leo") or before "sign". */
const ZODIAC_BEFORE = /\b(?:sign|zodiac|star|horoscope|astrolog\w*|born under)\b(?:[^\w.!?]+\w+){0,2}[^\w.!?]+$/i;
const ZODIAC_AFTER = /^\W+(?:sign|zodiac)\b/i;

export const listRecogniser: Recogniser = {
  policies: ['blood_type', 'zodiac_sign'],
  find({ text }: Analysed): Finding[] {
    const out: Finding[] = [];
    for (const m of matches(text, BLOOD))
      out.push(withContext(text, { type: 'blood_type', start: m.index, end: m.index + m[0].length, score: 0.3 }, BLOOD_CONTEXT));
    for (const m of matches(text, ZODIAC)) {
      const ambiguous = /^(cancer|leo)$/i.test(m[0]);
      const near =
        ZODIAC_BEFORE.test(text.slice(Math.max(0, m.index - 60), m.index)) || ZODIAC_AFTER.test(text.slice(m.index + m[0].length));
      if (!ambiguous || near) out.push({ type: 'zodiac_sign', start: m.index, end: m.index + m[0].length, score: 0.75 });
    }
    return out;
  },
};
