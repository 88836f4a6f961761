import { describe, expect, it } from 'vitest';
import { SpeakerTracker, UNKNOWN_SPEAKER } from '../../src/streaming/speaker-tracker.js';

const v = (...xs: number[]) => Float32Array.from(xs);

describe('SpeakerTracker (incremental clustering of turn embeddings)', () => {
  it('labels voices A, B, … in order of first appearance and finds a returning voice again', () => {
    const t = new SpeakerTracker(null, 0.6);
    expect(t.assign(v(1, 0, 0))).toBe('A');
    expect(t.assign(v(0, 1, 0))).toBe('B');
    expect(t.assign(v(0.9, 0.1, 0))).toBe('A');
    expect(t.assign(v(0, 0, 1))).toBe('C');
    expect(t.assign(v(0.1, 2, 0))).toBe('B'); // scale does not matter: cosine similarity
  });

  it('calls turns without an embedding (under a second) UNKNOWN, without spending a letter', () => {
    const t = new SpeakerTracker(null, 0.6);
    expect(t.assign(null)).toBe(UNKNOWN_SPEAKER);
    expect(t.assign(v())).toBe(UNKNOWN_SPEAKER);
    expect(t.assign(v(0, 0))).toBe(UNKNOWN_SPEAKER);
    expect(t.assign(v(1, 0))).toBe('A');
  });

  it('keeps to max_speakers: a new voice beyond it goes to the nearest speaker', () => {
    const t = new SpeakerTracker(2, 0.6);
    expect(t.assign(v(1, 0, 0))).toBe('A');
    expect(t.assign(v(0, 1, 0))).toBe('B');
    expect(t.assign(v(0.2, 0, 1))).toBe('A');
    expect(t.assign(v(0, 1, 0.5))).toBe('B');
  });

  it('moves a speaker towards its turns, so a voice drifting slowly stays one speaker', () => {
    const t = new SpeakerTracker(null, 0.6);
    const labels = [0, 0.3, 0.6, 0.9, 1.2].map((a) => t.assign(v(Math.cos(a), Math.sin(a))));
    // Each step is 0.3 rad (cosine 0.955) from the last but 1.2 rad (0.36) from the first: the centroid follows.
    expect(labels).toEqual(['A', 'A', 'A', 'A', 'A']);
    const fresh = new SpeakerTracker(null, 0.6);
    expect([fresh.assign(v(1, 0)), fresh.assign(v(Math.cos(1.2), Math.sin(1.2)))]).toEqual(['A', 'B']);
  });
});
