import { describe, expect, it } from 'vitest';
import { findHits, normalize } from '../../console/src/find';
import { lowConfidenceBelow, speakerColours } from '../../console/src/transcript-text';

const words = (text: string) => text.split(' ').map(normalize);

describe('find in a transcript', () => {
  it('matches whole words only, in any case and with any punctuation around them', () => {
    const w = words('Their dog saw the cat. The other, THE end.');
    expect(findHits(w, 'the')).toEqual([
      [3, 3],
      [5, 5],
      [7, 7],
    ]);
    expect(findHits(w, 'thei')).toEqual([]);
    expect(findHits(w, 'their')).toEqual([[0, 0]]);
  });

  it('matches phrases word for word', () => {
    const w = words('the cat sat on the cat mat');
    expect(findHits(w, 'the  cat')).toEqual([
      [0, 1],
      [4, 5],
    ]);
    expect(findHits(w, 'cat ma')).toEqual([]);
    expect(findHits(w, '  ')).toEqual([]);
  });
});

describe('low-confidence marks', () => {
  const at = (...c: number[]) => c.map((confidence) => ({ confidence }));

  it('marks words under 50 % when they are few', () => {
    const ws = at(0.2, ...Array<number>(19).fill(0.9));
    expect(lowConfidenceBelow(ws)).toBe(0.5);
  });

  it('marks at most the least sure tenth when most words score low', () => {
    // As the issue saw it: 57 % of the words under 0.5.
    const ws = at(...Array.from({ length: 100 }, (_, i) => (i < 57 ? 0.1 + i * 0.005 : 0.6 + i * 0.001)));
    const below = lowConfidenceBelow(ws);
    expect(ws.filter((w) => w.confidence < below).length).toBeLessThanOrEqual(10);
    expect(ws.filter((w) => w.confidence < below).length).toBeGreaterThan(0);
  });

  it('marks nothing when every word is sure', () => {
    const ws = at(...Array<number>(30).fill(0.95));
    expect(ws.filter((w) => w.confidence < lowConfidenceBelow(ws)).length).toBe(0);
  });
});

describe('speaker colours', () => {
  it('gives speakers the timeline colours in order of first appearance, cycling after four', () => {
    const colours = speakerColours(['B', null, 'A', 'B', 'C', 'D', 'E']);
    expect([...colours]).toEqual([
      ['B', 0],
      ['A', 1],
      ['C', 2],
      ['D', 3],
      ['E', 0],
    ]);
  });
});
