import { describe, expect, it } from 'vitest';
import { SENTENCE_PAUSE_MS } from '../../src/text/format.js';
import { DEFAULT_CHARS_PER_CAPTION, toSrt, toVtt } from '../../src/text/subtitles.js';
import type { TranscriptWord } from '../../src/transcript/types.js';

/** Words 300 ms long, 50 ms apart, starting at `from` ms. */
function spoken(text: string, from = 0, speaker: string | null = null): TranscriptWord[] {
  let t = from;
  return text.split(' ').map((word) => {
    const w = { text: word, start: t, end: t + 300, confidence: 0.9, speaker };
    t += 350;
    return w;
  });
}

interface ParsedCue {
  index?: number;
  start: string;
  end: string;
  text: string;
}

function parseSrt(srt: string): ParsedCue[] {
  expect(srt.endsWith('\n\n')).toBe(true);
  return srt
    .slice(0, -2)
    .split('\n\n')
    .map((block) => {
      const [index, times, ...text] = block.split('\n');
      const m = /^(\d\d:\d\d:\d\d,\d\d\d) --> (\d\d:\d\d:\d\d,\d\d\d)$/.exec(times!);
      expect(m, `bad SRT timing line: ${times}`).not.toBeNull();
      expect(text).toHaveLength(1);
      return { index: Number(index), start: m![1]!, end: m![2]!, text: text[0]! };
    });
}

function parseVtt(vtt: string): ParsedCue[] {
  expect(vtt.startsWith('WEBVTT\n\n')).toBe(true);
  const body = vtt.slice('WEBVTT\n\n'.length);
  if (body === '') return [];
  expect(body.endsWith('\n\n')).toBe(true);
  return body
    .slice(0, -2)
    .split('\n\n')
    .map((block) => {
      const [times, ...text] = block.split('\n');
      const m = /^((?:\d\d:)?\d\d:\d\d\.\d\d\d) --> ((?:\d\d:)?\d\d:\d\d\.\d\d\d)$/.exec(times!);
      expect(m, `bad VTT timing line: ${times}`).not.toBeNull();
      expect(text).toHaveLength(1);
      return { start: m![1]!, end: m![2]!, text: text[0]! };
    });
}

const LONG =
  'the quick brown fox jumps over the lazy dog and then it runs far away into the dark green forest where nobody can find it again until the morning comes';

describe('toSrt', () => {
  it('writes numbered cues with hh:mm:ss,mmm times, a blank line after each', () => {
    const words: TranscriptWord[] = [
      { text: 'Hello', start: 250, end: 650, confidence: 1, speaker: null },
      { text: 'world.', start: 700, end: 1200, confidence: 1, speaker: null },
      { text: 'Again', start: 3_723_004, end: 3_723_500, confidence: 1, speaker: null },
    ];
    expect(toSrt(words)).toBe('1\n00:00:00,250 --> 00:00:01,200\nHello world.\n\n' + '2\n01:02:03,004 --> 01:02:03,500\nAgain\n\n');
  });

  it('rounds fractional times and clamps negative ones to zero', () => {
    const words: TranscriptWord[] = [{ text: 'x', start: -20, end: 1234.6, confidence: 1, speaker: null }];
    expect(toSrt(words)).toBe('1\n00:00:00,000 --> 00:00:01,235\nx\n\n');
  });

  it('is empty for no words', () => {
    expect(toSrt([])).toBe('');
  });

  it('keeps captions to DEFAULT_CHARS_PER_CAPTION, filling each as far as the next word allows', () => {
    const words = spoken(LONG);
    const cues = parseSrt(toSrt(words));
    expect(cues.length).toBeGreaterThan(1);
    expect(cues.map((c) => c.index)).toEqual(cues.map((_, i) => i + 1));
    expect(cues.map((c) => c.text).join(' ')).toBe(LONG);
    let consumed = 0;
    for (const [i, cue] of cues.entries()) {
      expect(cue.text.length).toBeLessThanOrEqual(DEFAULT_CHARS_PER_CAPTION);
      consumed += cue.text.split(' ').length;
      const next = words[consumed];
      if (i < cues.length - 1) expect(cue.text.length + 1 + next!.text.length).toBeGreaterThan(DEFAULT_CHARS_PER_CAPTION);
    }
  });
});

describe('toVtt', () => {
  it('starts with the WEBVTT header and writes hours only when non-zero', () => {
    const words: TranscriptWord[] = [
      { text: 'Smoke', start: 12_340, end: 13_000, confidence: 1, speaker: null },
      { text: 'rises.', start: 13_100, end: 16_220, confidence: 1, speaker: null },
      { text: 'Late', start: 3_600_000, end: 3_601_000, confidence: 1, speaker: null },
    ];
    expect(toVtt(words)).toBe('WEBVTT\n\n00:12.340 --> 00:16.220\nSmoke rises.\n\n01:00:00.000 --> 01:00:01.000\nLate\n\n');
  });

  it('is only the header for no words', () => {
    expect(toVtt([])).toBe('WEBVTT\n\n');
  });

  it('has the same cues as SRT', () => {
    const words = spoken(LONG, 90_000);
    const srt = parseSrt(toSrt(words, 30));
    const vtt = parseVtt(toVtt(words, 30));
    expect(vtt.map((c) => c.text)).toEqual(srt.map((c) => c.text));
    expect(vtt.map((c) => c.start)).toEqual(srt.map((c) => c.start.slice(3).replace(',', '.')));
  });
});

describe('caption breaks', () => {
  it.each([10, 20, 32, 45])('never exceeds chars_per_caption=%i and never splits a word', (chars) => {
    const cues = parseVtt(toVtt(spoken(LONG), chars));
    for (const cue of cues) expect(cue.text.length).toBeLessThanOrEqual(chars);
    expect(cues.map((c) => c.text).join(' ')).toBe(LONG);
  });

  it('gives a word longer than the limit a caption of its own', () => {
    const cues = parseVtt(toVtt(spoken('a b incomprehensibilities c d'), 5));
    expect(cues.map((c) => c.text)).toEqual(['a b', 'incomprehensibilities', 'c d']);
  });

  it('treats a limit below one as one word per caption, and floors fractional limits', () => {
    expect(parseVtt(toVtt(spoken('a b c'), 0)).map((c) => c.text)).toEqual(['a', 'b', 'c']);
    // 3.9 → 3 characters: "a b" (3) fits, "a b c" (5) does not.
    expect(parseVtt(toVtt(spoken('a b c d'), 3.9)).map((c) => c.text)).toEqual(['a b', 'c d']);
  });

  it('ends a caption after a sentence end', () => {
    const cues = parseVtt(toVtt(spoken('Hi there. How are you?'), 100));
    expect(cues.map((c) => c.text)).toEqual(['Hi there.', 'How are you?']);
  });

  it('ends a caption at a sentence-length pause but not a shorter one', () => {
    const words = spoken('one two three four');
    words[2] = { ...words[2]!, start: words[1]!.end + SENTENCE_PAUSE_MS, end: words[1]!.end + SENTENCE_PAUSE_MS + 300 };
    words[3] = { ...words[3]!, start: words[2]!.end + SENTENCE_PAUSE_MS - 1, end: words[2]!.end + SENTENCE_PAUSE_MS + 299 };
    const cues = parseSrt(toSrt(words, 100));
    expect(cues.map((c) => c.text)).toEqual(['one two', 'three four']);
  });

  it('ends a caption at a change of speaker', () => {
    const words = [...spoken('hello there', 0, 'A'), ...spoken('general kenobi', 700, 'B')];
    expect(parseSrt(toSrt(words, 100)).map((c) => c.text)).toEqual(['hello there', 'general kenobi']);
  });

  it('times a caption from its first word start to its last word end', () => {
    const words = spoken('alpha bravo gamma delta', 1000);
    const cues = parseSrt(toSrt(words, 'alpha bravo'.length));
    expect(cues).toEqual([
      { index: 1, start: '00:00:01,000', end: '00:00:01,650', text: 'alpha bravo' },
      { index: 2, start: '00:00:01,700', end: '00:00:02,350', text: 'gamma delta' },
    ]);
  });
});

describe('multichannel captions', () => {
  it('captions each channel on its own, interleaved by start, when both talk at once', () => {
    const channel = (c: string, text: string, from: number) => spoken(text, from, c).map((w) => ({ ...w, channel: c }));
    const ws = [...channel('1', 'the left side talks', 0), ...channel('2', 'while the right answers', 100)].sort(
      (a, b) => a.start - b.start,
    );
    expect(toSrt(ws)).toBe(
      '1\n00:00:00,000 --> 00:00:01,350\nthe left side talks\n\n2\n00:00:00,100 --> 00:00:01,450\nwhile the right answers\n\n',
    );
  });
});
