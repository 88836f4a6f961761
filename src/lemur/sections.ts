import { transcriptText } from '../text/format.js';
import { toSentences } from '../text/segments.js';
import type { TranscriptWord } from '../transcript/types.js';

/**
 * The stretches of a transcript that content_safety and iab_categories label one at a time, as
 * upstream's results do: whole sentences, about half a minute each (upstream's examples run 28–32 s).
 */
export interface Section {
  text: string;
  start: number;
  end: number;
  /** Indexes into the transcript's sentences (`/sentences`), both inclusive. */
  sentenceStart: number;
  sentenceEnd: number;
}

/** A section takes no further sentence once it lasts this long or holds this many words. */
const SECTION_MS = 30_000;
const SECTION_WORDS = 90;

export function toSections(words: readonly TranscriptWord[]): Section[] {
  const sections: Section[] = [];
  let open: { words: TranscriptWord[]; first: number; last: number } | null = null;
  const close = () => {
    if (!open) return;
    sections.push({
      text: transcriptText(open.words),
      start: open.words[0]!.start,
      end: Math.max(...open.words.map((w) => w.end)),
      sentenceStart: open.first,
      sentenceEnd: open.last,
    });
    open = null;
  };
  for (const [i, sentence] of toSentences(words).entries()) {
    // A sentence longer than a section (unpunctuated speech) is cut into pieces of whole words.
    for (let at = 0; at < sentence.words.length; at += SECTION_WORDS) {
      const piece = sentence.words.slice(at, at + SECTION_WORDS);
      if (open && (open.words.length + piece.length > SECTION_WORDS || piece[piece.length - 1]!.end - open.words[0]!.start > SECTION_MS))
        close();
      if (!open) open = { words: [], first: i, last: i };
      open.words.push(...piece);
      open.last = i;
    }
  }
  close();
  return sections;
}
