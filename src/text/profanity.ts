/**
 * Profanity for filter_profanity: obscenity's maintained English data set (with its whitelist, so
 * "Scunthorpe", "assassin" or "cocktail" are safe), less the words that name anatomy, sex or crime
 * plainly (a doctor's "penis", a report's "rape" are not profanity), plus "goddamn". Matched on one
 * word at a time, lowercased only: obscenity's leetspeak decoding would read "455" as "ass".
 */
import {
  DataSet,
  englishDataset,
  englishRecommendedWhitelistMatcherTransformers,
  pattern,
  RegExpMatcher,
  toAsciiLowerCaseTransformer,
} from 'obscenity';

const NOT_PROFANITY = new Set([
  'anal',
  'anus',
  'bestiality',
  'ejaculate',
  'fellatio',
  'hentai',
  'incest',
  'masturbate',
  'orgasm',
  'orgy',
  'penis',
  'porn',
  'rape',
  'retard',
  'scat',
  'semen',
  'sex',
  'spastic',
  'vagina',
]);

/** Ordinary words the data set's patterns catch ("cum" in "cumin", "cock" in "cockpit"). */
const ORDINARY = ['cumin', 'cockpit', 'pussycat', 'dickinson'];

const dataset = new DataSet<{ originalWord: string }>()
  .addAll(englishDataset)
  .removePhrasesIf((p) => NOT_PROFANITY.has(p.metadata?.originalWord ?? ''))
  .addPhrase((p) => p.setMetadata({ originalWord: 'goddamn' }).addPattern(pattern`goddamn`));
const built = dataset.build();

const matcher = new RegExpMatcher({
  ...built,
  whitelistedTerms: [...(built.whitelistedTerms ?? []), ...ORDINARY],
  blacklistMatcherTransformers: [toAsciiLowerCaseTransformer()],
  whitelistMatcherTransformers: englishRecommendedWhitelistMatcherTransformers,
});

/** True when a word (letters only, no surrounding punctuation or "'s") is profanity. */
export function isProfane(word: string): boolean {
  return matcher.hasMatch(word);
}
