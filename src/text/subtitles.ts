/** SRT and WebVTT captions for GET /v2/transcript/{id}/srt and /vtt. */
import type { TranscriptWord } from '../transcript/types.js';
import { SENTENCE_PAUSE_MS, endsSentence, transcriptText } from './format.js';

/**
 * Caption length when `chars_per_caption` is not given. Upstream's own SRT example
 * has single-line captions of 68-69 characters, so captions stay one line of about that.
 */
export const DEFAULT_CHARS_PER_CAPTION = 70;

interface Cue {
  start: number;
  end: number;
  text: string;
}

export function toSrt(words: readonly TranscriptWord[], charsPerCaption?: number): string {
  return toCues(words, charsPerCaption)
    .map((c, i) => `${i + 1}\n${clock(c.start, ',', true)} --> ${clock(c.end, ',', true)}\n${c.text}\n\n`)
    .join('');
}

/** Hours are written only when non-zero, as in upstream's "00:12.340 --> 00:16.220"; WebVTT allows both. */
export function toVtt(words: readonly TranscriptWord[], charsPerCaption?: number): string {
  return (
    'WEBVTT\n\n' +
    toCues(words, charsPerCaption)
      .map((c) => `${clock(c.start, '.', false)} --> ${clock(c.end, '.', false)}\n${c.text}\n\n`)
      .join('')
  );
}

/**
 * A caption ends before the word that would take it past the character limit, after
 * a sentence end, at a sentence-length pause, and at a change of speaker. A word is
 * never split: one longer than the limit gets a caption to itself. Each channel gets
 * its own captions (interleaved in time), so two parties talking at once are not chopped.
 */
function toCues(words: readonly TranscriptWord[], charsPerCaption = DEFAULT_CHARS_PER_CAPTION): Cue[] {
  const channels = new Map<string | undefined, TranscriptWord[]>();
  for (const w of words) {
    const list = channels.get(w.channel);
    if (list) list.push(w);
    else channels.set(w.channel, [w]);
  }
  return [...channels.values()].flatMap((list) => channelCues(list, charsPerCaption)).sort((a, b) => a.start - b.start);
}

function channelCues(words: readonly TranscriptWord[], charsPerCaption = DEFAULT_CHARS_PER_CAPTION): Cue[] {
  const limit = Math.max(1, Math.floor(charsPerCaption));
  const groups: TranscriptWord[][] = [];
  let length = 0;
  for (const w of words) {
    const group = groups[groups.length - 1];
    const prev = group?.[group.length - 1];
    const continues =
      prev !== undefined &&
      length + 1 + w.text.length <= limit &&
      !endsSentence(prev.text) &&
      w.start - prev.end < SENTENCE_PAUSE_MS &&
      w.speaker === prev.speaker;
    if (group && continues) {
      group.push(w);
      length += 1 + w.text.length;
    } else {
      groups.push([w]);
      length = w.text.length;
    }
  }
  return groups.map((g) => ({ start: g[0]!.start, end: g[g.length - 1]!.end, text: transcriptText(g) }));
}

function clock(ms: number, separator: string, withHours: boolean): string {
  const t = Math.max(0, Math.round(ms));
  const hours = Math.floor(t / 3_600_000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const rest = `${pad(Math.floor(t / 60_000) % 60)}:${pad(Math.floor(t / 1000) % 60)}${separator}${pad(t % 1000, 3)}`;
  return withHours || hours > 0 ? `${pad(hours)}:${rest}` : rest;
}
