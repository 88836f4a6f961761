/** Speaker labels for words, from a diarization's speaker turns. */
import type { SpeakerTurn } from '../engines/diarization.js';
import type { TranscriptWord } from '../transcript/types.js';

/** Upstream's labels: "A" … "Z", then "AA", "AB", … (a 27th speaker is rare, but must not collide). */
export function speakerLabel(index: number): string {
  let label = '';
  for (let n = index; n >= 0; n = Math.floor(n / 26) - 1) label = String.fromCharCode(65 + (n % 26)) + label;
  return label;
}

/**
 * Gives each word the speaker whose turns overlap it most (the nearest turn when none does), labelled "A", "B", … in
 * order of first appearance in the words. Without turns (no speech found) every word is "A".
 */
export function assignSpeakers(words: readonly TranscriptWord[], turns: readonly SpeakerTurn[]): TranscriptWord[] {
  const sorted = [...turns].sort((a, b) => a.start - b.start);
  const labels = new Map<number, string>();
  // Words come in time order: turns before `from` ended before this word began (`ended`: the latest of them), so each
  // word looks only at the turns that can overlap it and at its two neighbours, and a 10-hour transcript stays linear.
  let from = 0;
  let ended: SpeakerTurn | undefined;
  return words.map((w) => {
    for (; from < sorted.length && sorted[from]!.end <= w.start; from++) if (!ended || sorted[from]!.end > ended.end) ended = sorted[from];
    const overlap = new Map<number, number>();
    let i = from;
    for (; i < sorted.length && sorted[i]!.start < w.end; i++) {
      const t = sorted[i]!;
      const ms = Math.min(t.end, w.end) - Math.max(t.start, w.start);
      if (ms > 0) overlap.set(t.speaker, (overlap.get(t.speaker) ?? 0) + ms);
    }
    let speaker = [...overlap].sort((a, b) => b[1] - a[1])[0]?.[0];
    if (speaker === undefined) {
      const after = sorted[i];
      if (ended && (!after || w.start - ended.end <= after.start - w.end)) speaker = ended.speaker;
      else speaker = after?.speaker;
    }
    if (speaker === undefined) return { ...w, speaker: 'A' };
    if (!labels.has(speaker)) labels.set(speaker, speakerLabel(labels.size));
    return { ...w, speaker: labels.get(speaker)! };
  });
}
