import { speakerLabel } from '../text/speakers.js';

/** Upstream's label for a turn too short to tell its speaker from ("less than approximately 1 second of audio"). */
export const UNKNOWN_SPEAKER = 'UNKNOWN';

const norm = (v: Float32Array) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));

/**
 * Live speaker labels by incremental clustering of turn embeddings: each turn goes to the most similar speaker heard so
 * far, or starts a new one when none is similar enough and `max_speakers` allows; the speaker's centroid then moves
 * towards it, so labels settle as a session goes on. Speakers are "A", "B", … in order of first appearance.
 */
export class SpeakerTracker {
  /** Each speaker's sum of unit embeddings: its direction is the centroid's. */
  private readonly centroids: { sum: Float64Array }[] = [];

  /** `threshold`: the cosine similarity at which a turn joins a known speaker (EARSHOT_STREAMING_SPEAKER_THRESHOLD). */
  constructor(
    private readonly maxSpeakers: number | null,
    private readonly threshold: number,
  ) {}

  /** The label of a turn with this voice embedding; null (too short to embed) is upstream's "UNKNOWN". */
  assign(embedding: Float32Array | null | undefined): string {
    if (!embedding || embedding.length === 0) return UNKNOWN_SPEAKER;
    const length = norm(embedding);
    if (length === 0) return UNKNOWN_SPEAKER;
    const unit = Float64Array.from(embedding, (x) => x / length);
    let best = -1;
    let bestSimilarity = -Infinity;
    this.centroids.forEach((c, i) => {
      const cn = Math.sqrt(c.sum.reduce((a, x) => a + x * x, 0));
      const similarity = cn === 0 ? 0 : c.sum.reduce((a, x, k) => a + x * unit[k]!, 0) / cn;
      if (similarity > bestSimilarity) [best, bestSimilarity] = [i, similarity];
    });
    const full = this.maxSpeakers !== null && this.centroids.length >= this.maxSpeakers;
    if (best < 0 || (bestSimilarity < this.threshold && !full)) {
      this.centroids.push({ sum: unit });
      return speakerLabel(this.centroids.length - 1);
    }
    const { sum } = this.centroids[best]!;
    for (let k = 0; k < sum.length; k++) sum[k]! += unit[k]!;
    return speakerLabel(best);
  }
}
