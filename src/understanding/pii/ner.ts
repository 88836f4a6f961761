/**
 * Names of people, places and organisations from compromise's English model (its lexicon of first
 * names, surnames, honorifics, places and organisation words, and its tagger's context rules, all
 * shipped in the npm package). Statistical guesses, so scored below the checksummed recognisers.
 */
import type { Finding, PiiPolicy } from './policies.js';
import { spansOf, type Analysed, type Recogniser } from './recogniser.js';

/** Acronyms said around PII that compromise reads as organisations ("The SSN on file is …"). */
const PII_WORDS = new Set(['ssn', 'dob', 'cvv', 'cvc', 'iban', 'pin', 'ssid', 'vin', 'atm', 'id']);

export const nerRecogniser: Recogniser = {
  policies: ['person_name', 'location', 'organization'],
  find({ text, doc }: Analysed): Finding[] {
    const of = (type: PiiPolicy, selection: Parameters<typeof spansOf>[0], score: number) =>
      spansOf(selection, text).map((s) => ({ type, ...s, score }));
    return [
      ...of('person_name', doc.people(), 0.7),
      ...of('location', doc.places(), 0.65),
      // A street address ("145 Windsor St.") is a location, as upstream's policy says.
      ...of('location', doc.match('#Address+'), 0.7),
      ...of('organization', doc.organizations(), 0.65),
    ].filter((f) => !PII_WORDS.has(text.slice(f.start, f.end).toLowerCase()));
  },
};
