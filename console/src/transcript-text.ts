import type { Paragraph, Word } from './api';
import { normalize } from './find';
import { clock } from './format';

/** Words are marked for checking below at most this confidence… */
const LOW_CONFIDENCE = 0.5;
/** …and only the least sure tenth of a transcript at most: a mark on most words would tell nothing. */
const LOW_SHARE = 0.1;

/**
 * The confidence under which a word is marked: LOW_CONFIDENCE, or lower when more than LOW_SHARE
 * of the words are below it (an engine whose scores run low overall, as pocketsphinx's do).
 */
export function lowConfidenceBelow(words: readonly Pick<Word, 'confidence'>[]): number {
  const sorted = words.map((w) => w.confidence).sort((a, b) => a - b);
  const tenth = sorted[Math.floor(sorted.length * LOW_SHARE)] ?? 0;
  return Math.min(LOW_CONFIDENCE, tenth);
}
/** Each speaker's colour (`--turn-0` … `--turn-3`), in order of first appearance: the same in the text and on the timeline. */
export function speakerColours(speakers: readonly (string | null)[]): Map<string, number> {
  const colours = new Map<string, number>();
  for (const s of speakers) if (s !== null && !colours.has(s)) colours.set(s, colours.size % 4);
  return colours;
}

/** Words rendered before the first paint; the rest follow right after. */
const FIRST_WORDS = 1500;

/** A paragraph as the timeline draws it. */
export interface Segment {
  start: number;
  end: number;
  speaker: string | null;
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * The transcript text as plain DOM, built in one pass from HTML strings: a 2-hour transcript has
 * ~20 000 words, and one string per paragraph is several times faster to build than a virtual DOM
 * of 20 000 nodes. Highlighting then toggles classes on single spans, never re-rendering.
 */
export class TextView {
  readonly words: Word[] = [];
  /** Normalised word texts, for find. */
  readonly norm: string[] = [];
  readonly segments: Segment[] = [];
  /** Words under this confidence are marked (see lowConfidenceBelow). */
  readonly lowBelow: number;
  private readonly colours: Map<string, number>;
  private spans: HTMLCollectionOf<Element> | null = null;
  private current = -1;
  private marked: Element[] = [];
  private hits: [number, number][] = [];
  private activeHit = -1;

  constructor(paragraphs: Paragraph[]) {
    for (const p of paragraphs) {
      this.segments.push({ start: p.start, end: p.end, speaker: p.words[0]?.speaker ?? null });
      for (const w of p.words) {
        this.words.push(w);
        this.norm.push(normalize(w.text));
      }
    }
    this.lowBelow = lowConfidenceBelow(this.words);
    this.colours = speakerColours(this.segments.map((s) => s.speaker));
  }

  /**
   * Builds the text: the first FIRST_WORDS words at once (more than any screen shows), the rest
   * right after the first paint, so a long transcript shows as fast as a short one. `painted` runs
   * after that first paint; `done` once every word is in the page. Returns a cancel function.
   */
  render(root: HTMLElement, paragraphs: Paragraph[], on: { painted: () => void; done: () => void }): () => void {
    let first = 0;
    let words = 0;
    while (first < paragraphs.length && words < FIRST_WORDS) words += paragraphs[first++]!.words.length;
    root.innerHTML = this.html(paragraphs, 0, first, 0);
    // Live collection in document order, which is word order; it grows as the rest is appended.
    this.spans = root.getElementsByClassName('w');
    this.current = -1;
    this.marked = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => {
        on.painted();
        if (first < paragraphs.length) root.insertAdjacentHTML('beforeend', this.html(paragraphs, first, paragraphs.length, words));
        on.done();
      });
    });
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }

  private html(paragraphs: Paragraph[], from: number, to: number, firstWord: number): string {
    const parts: string[] = [];
    let i = firstWord;
    for (let k = from; k < to; k++) {
      const p = paragraphs[k]!;
      const speaker = p.words[0]?.speaker;
      parts.push(
        `<section class="para"><div class="para-meta"><button type="button" class="ts" data-seek="${p.start}" aria-label="Play from ${clock(p.start)}">${clock(p.start)}</button>`,
        speaker ? `<span class="speaker" data-turn="${this.colours.get(speaker) ?? 0}">Speaker ${escapeHtml(speaker)}</span>` : '',
        '</div><p>',
      );
      for (const w of p.words) {
        parts.push(
          w.confidence < this.lowBelow
            ? `<span class="w low" data-i="${i}" title="Low confidence: ${Math.round(w.confidence * 100)}%">${escapeHtml(w.text)}</span> `
            : `<span class="w" data-i="${i}">${escapeHtml(w.text)}</span> `,
        );
        i++;
      }
      parts.push('</p></section>');
    }
    return parts.join('');
  }

  span(i: number): HTMLElement | null {
    return (this.spans?.[i] as HTMLElement | undefined) ?? null;
  }

  /** The word being spoken at `ms`: the last one started, until the next starts. -1 before the first. */
  wordAt(ms: number): number {
    let lo = 0;
    let hi = this.words.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.words[mid]!.start <= ms) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Applies the highlight and hits again, to words that were not in the page yet. */
  refresh(): void {
    const current = this.current;
    this.current = -1;
    this.setCurrent(current);
    this.setHits(this.hits, this.activeHit);
  }

  /** Highlights word `i` (or none with -1); returns its span when it changed. */
  setCurrent(i: number): HTMLElement | null {
    if (i === this.current) return null;
    this.span(this.current)?.classList.remove('cur');
    this.current = i;
    const el = this.span(i);
    el?.classList.add('cur');
    return el;
  }

  /** Marks find hits, and the active one more strongly. */
  setHits(hits: [number, number][], active: number): void {
    for (const el of this.marked) el.classList.remove('hit', 'hit-active');
    this.marked = [];
    this.hits = hits;
    this.activeHit = active;
    hits.forEach(([a, b], h) => {
      for (let i = a; i <= b; i++) {
        const el = this.span(i);
        if (!el) continue;
        el.classList.add('hit');
        if (h === active) el.classList.add('hit-active');
        this.marked.push(el);
      }
    });
  }
}
