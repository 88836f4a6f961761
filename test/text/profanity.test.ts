import { describe, expect, it } from 'vitest';
import { isProfane } from '../../src/text/profanity.js';

describe('isProfane (obscenity English data set)', () => {
  it('catches profanity, in any case and with the data set’s inflections', () => {
    for (const w of [
      'shit',
      'Shit',
      'shitty',
      'fucking',
      'motherfucker',
      'asshole',
      'bullshit',
      'bitch',
      'cunt',
      'wanker',
      'goddamn',
      'pissed',
    ]) {
      expect(isProfane(w), w).toBe(true);
    }
  });

  it('leaves near misses alone: words that contain one, names, clinical words, digits', () => {
    const safe = [
      'class',
      'bass',
      'assassin',
      'passage',
      'Scunthorpe',
      'Dickens',
      'Dickinson',
      'cocktail',
      'cockpit',
      'peacock',
      'Hancock',
    ];
    safe.push('cumin', 'cucumber', 'document', 'title', 'arsenal', 'analysis', 'therapist', 'Essex', 'shiitake', 'pussycat');
    safe.push('penis', 'vagina', 'sex', 'rape', '455', 'a55', 'hello');
    for (const w of safe) expect(isProfane(w), w).toBe(false);
  });
});
