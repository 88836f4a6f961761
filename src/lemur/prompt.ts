import { endsSentence } from '../text/format.js';
import { PARAGRAPH_PAUSE_MS } from '../text/segments.js';
import type { TranscriptWord } from '../transcript/types.js';
import type { ChatMessage } from './backend.js';

/** A transcript as LeMUR reads it. */
export interface SourceTranscript {
  id: string;
  text: string;
  words: readonly TranscriptWord[];
  /** Seconds. */
  audioDuration: number;
}

/**
 * One line of the input: a transcript's heading or a stretch of speech. Long input is split into
 * chunks at line boundaries, and a chunk that starts inside a transcript repeats its heading.
 */
export interface SourceLine {
  text: string;
  /** The heading of the transcript this line belongs to ('' for `input_text`). */
  heading: string;
}

/** A line of speech closes at the first sentence end after this many words, and at the latest after twice as many. */
const LINE_WORDS = 60;

/** 3725.4 s → "1:02:05"; under an hour "02:05". */
export function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/**
 * Transcripts as prompt lines: `[mm:ss] Speaker A: text`, a new line at every change of speaker,
 * at pauses of PARAGRAPH_PAUSE_MS, and at sentence ends once a line is long. One pass over the
 * words with string joins only: a 10-hour transcript (about 100,000 words) takes milliseconds.
 */
export function transcriptLines(transcripts: readonly SourceTranscript[]): SourceLine[] {
  const lines: SourceLine[] = [];
  for (const t of transcripts) {
    const heading = `Transcript ${t.id} (${clock(t.audioDuration * 1000)} of audio)`;
    lines.push({ text: heading, heading });
    if (t.words.length === 0) {
      lines.push({ text: t.text.trim() || '(no speech)', heading });
      continue;
    }
    let start = 0;
    for (let i = 1; i <= t.words.length; i++) {
      const prev = t.words[i - 1]!;
      const next = t.words[i];
      const count = i - start;
      const breakHere =
        !next ||
        next.speaker !== prev.speaker ||
        next.start - prev.end >= PARAGRAPH_PAUSE_MS ||
        (count >= LINE_WORDS && endsSentence(prev.text)) ||
        count >= LINE_WORDS * 2;
      if (!breakHere) continue;
      const first = t.words[start]!;
      const speaker = first.speaker ? ` Speaker ${first.speaker}:` : '';
      let text = first.text;
      for (let j = start + 1; j < i; j++) text += ` ${t.words[j]!.text}`;
      lines.push({ text: `[${clock(first.start)}]${speaker} ${text}`, heading });
      start = i;
    }
  }
  return lines;
}

/** `input_text` is used as given; its lines are where it may be split. */
export function inputTextLines(text: string): SourceLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => ({ text: l, heading: '' }));
}

/** Lines as one block; a chunk starting inside a transcript first repeats the transcript's heading. */
export function joinLines(lines: readonly SourceLine[]): string {
  const first = lines[0];
  const head = first?.heading && first.text !== first.heading ? `${first.heading} (continued)\n` : '';
  let out = head;
  for (let i = 0; i < lines.length; i++) out += i === 0 ? lines[i]!.text : `\n${lines[i]!.text}`;
  return out;
}

export const SYSTEM_PROMPT =
  'You are a careful assistant that answers requests about transcripts of audio recordings. ' +
  'Each line of a transcript starts with the time it was said ([mm:ss] or [h:mm:ss]) and, when known, the speaker. ' +
  'Use only what the transcripts say. Answer directly, without preamble.';

/** `context` is a string or any JSON value (upstream accepts both). */
export function contextText(context: unknown): string {
  if (context === undefined || context === null || context === '') return '';
  return typeof context === 'string' ? context : JSON.stringify(context);
}

function contextBlock(context: string): string {
  return context ? `Context: ${context}\n\n` : '';
}

/**
 * The messages for one request. The transcripts come before the instruction so that several
 * questions about the same transcripts share the start of their prompts (and the model's cache).
 */
export function directMessages(source: string, context: string, instruction: string): ChatMessage[] {
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: `${contextBlock(context)}<transcripts>\n${source}\n</transcripts>\n\n${instruction}` },
  ];
}

/** The map step: one part of input too long for the model at once. */
export function partMessages(part: string, index: number, total: number, context: string, instruction: string): ChatMessage[] {
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    {
      role: 'user',
      content: `${contextBlock(context)}The transcripts are too long to read at once. This is part ${index} of ${total}.\n<transcripts>\n${part}\n</transcripts>\n\n${instruction}`,
    },
  ];
}

/** The reduce step: the notes on every part, then the original instruction. */
export function notesMessages(notes: readonly string[], context: string, instruction: string): ChatMessage[] {
  const body = notes.map((n, i) => `[Notes on part ${i + 1}]\n${n.trim()}`).join('\n\n');
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    {
      role: 'user',
      content: `${contextBlock(context)}The transcripts were too long to read at once, so they were read in ${notes.length} parts. These are the notes taken on each part:\n<notes>\n${body}\n</notes>\n\nBased on these notes: ${instruction}`,
    },
  ];
}

export interface Question {
  question: string;
  context?: unknown;
  answer_format?: string;
  answer_options?: string[];
}

/** What each endpoint asks for: the final instruction, and what to note about each part when the input is split. */
export interface Ask {
  instruction: string;
  partInstruction: string;
  /** Constrains the final answer (answer_options). */
  jsonSchema?: Record<string, unknown>;
}

export function taskAsk(prompt: string): Ask {
  return { instruction: prompt, partInstruction: prompt };
}

export function summaryAsk(answerFormat: string | undefined): Ask {
  return {
    instruction: `Summarize the transcripts. ${answerFormat ? `Format the summary as: ${answerFormat}.` : 'Write the summary as a few sentences.'}`,
    partInstruction: 'Summarize this part. Keep every fact, decision, number and name that a summary of the whole could need.',
  };
}

export const DEFAULT_ACTION_ITEMS_FORMAT = 'Bullet Points';

export function actionItemsAsk(answerFormat: string | undefined): Ask {
  return {
    instruction: `List the action items in the transcripts: the tasks someone agreed, promised or was asked to do, with who owns each when that is said. Format: ${answerFormat ?? DEFAULT_ACTION_ITEMS_FORMAT}.`,
    partInstruction:
      'List the action items in this part, one per line, with who owns each when that is said. Write "None" if there are none.',
  };
}

/** The JSON an `answer_options` answer is constrained to. */
export function optionsSchema(options: readonly string[]): Record<string, unknown> {
  return {
    type: 'object',
    properties: { answer: { type: 'string', enum: [...options] } },
    required: ['answer'],
    additionalProperties: false,
  };
}

export function questionAsk(q: Question): Ask {
  const extra = contextText(q.context);
  let instruction = `Answer this question: ${q.question}`;
  if (extra) instruction += `\nContext for this question: ${extra}`;
  if (q.answer_format) instruction += `\nAnswer format: ${q.answer_format}`;
  if (q.answer_options?.length) {
    instruction += `\nAnswer with exactly one of these options: ${q.answer_options.join(', ')}. Reply as JSON: {"answer": "<option>"}`;
  }
  return {
    instruction,
    partInstruction: `Note everything in this part that helps answer this question: ${q.question}\nIf nothing does, write "Nothing relevant".`,
    ...(q.answer_options?.length && { jsonSchema: optionsSchema(q.answer_options) }),
  };
}

/** The answer from an `answer_options` reply, or the reply itself when it is not the expected JSON (cut off by max_output_size). */
export function parseOptionAnswer(text: string): string {
  try {
    const parsed = JSON.parse(text) as { answer?: unknown };
    if (typeof parsed.answer === 'string') return parsed.answer;
  } catch {
    // fall through
  }
  return text.trim();
}
