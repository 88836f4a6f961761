/**
 * Phone numbers through libphonenumber-js (Google's libphonenumber metadata): national and
 * international formats, with or without separators. A number valid for its region is sure; one that
 * only has a possible length ("555 123 4567", fictional exchanges) needs a context word.
 */
import { findNumbers } from 'libphonenumber-js/max';
import { withContext } from './context.js';
import type { Finding } from './policies.js';
import type { Analysed, Recogniser } from './recogniser.js';

const CONTEXT = ['phone', 'call', 'number', 'cell', 'mobile', 'fax', 'telephone', 'reach', 'contact', 'text', 'dial', 'extension'];

/** `leniency` is honoured by the library but missing from its types: passed as a variable, not a literal. */
const SEARCH = { defaultCountry: 'US', v2: true, leniency: 'POSSIBLE' } as const;

export const phoneRecogniser: Recogniser = {
  policies: ['phone_number'],
  find({ text }: Analysed): Finding[] {
    return findNumbers(text, SEARCH).map((m) =>
      withContext(text, { type: 'phone_number', start: m.startsAt, end: m.endsAt, score: m.number.isValid() ? 0.75 : 0.4 }, CONTEXT),
    );
  },
};
