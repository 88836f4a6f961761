import { errors } from '../http/errors.js';
import type { ChatMessage, ChatResult, LlmBackend, ModelInfo } from './backend.js';
import { joinLines, notesMessages, partMessages, directMessages, type Ask, type SourceLine } from './prompt.js';

/** Chunks smaller than this are not worth a call: the context is too small for the requested answer. */
const MIN_CHUNK_TOKENS = 64;
/** A part's notes may take at most this share of what is left of the context after the instructions. */
const NOTES_SHARE = 4;
/** Rounds of condensing notes before giving up (each round shrinks them about NOTES_SHARE times). */
const MAX_ROUNDS = 6;

export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

/** One LeMUR request's calls to the model, with their token counts added up. */
export class Session {
  readonly usage: Usage = { input_tokens: 0, output_tokens: 0 };
  private lineTokens: Map<SourceLine, number> | null = null;

  constructor(
    readonly backend: LlmBackend,
    readonly model: ModelInfo,
    readonly temperature: number,
    readonly signal?: AbortSignal,
    /** Called with the final answer's text as it is generated (not with notes on parts): LeMUR's streaming extension. */
    readonly onAnswerText?: (text: string) => void,
  ) {}

  /** `answer`: this is the request's final answer, whose text goes to `onAnswerText` as it comes. */
  async chat(messages: ChatMessage[], maxTokens: number, jsonSchema?: Record<string, unknown>, answer = false): Promise<ChatResult> {
    const result = await this.backend.chat({
      model: this.model.name,
      messages,
      maxTokens,
      temperature: this.temperature,
      jsonSchema,
      signal: this.signal,
      ...(answer && this.onAnswerText && { onText: this.onAnswerText }),
    });
    this.usage.input_tokens += result.inputTokens;
    this.usage.output_tokens += result.outputTokens;
    return result;
  }

  fits(messages: ChatMessage[], maxTokens: number): Promise<{ ok: boolean; tokens: number }> {
    return this.backend
      .countPromptTokens(this.model.name, messages)
      .then((tokens) => ({ ok: tokens + maxTokens <= this.model.contextTokens, tokens }));
  }

  /** Token counts of lines, counted once per request (several questions split the same input). */
  async tokensOf(lines: readonly SourceLine[]): Promise<number[]> {
    this.lineTokens ??= new Map();
    const missing = lines.filter((l) => !this.lineTokens!.has(l));
    if (missing.length) {
      const counts = await this.backend.countTokens(
        this.model.name,
        missing.map((l) => l.text),
      );
      for (const [i, l] of missing.entries()) this.lineTokens!.set(l, counts[i]! + 1); // + the newline joining it
    }
    return lines.map((l) => this.lineTokens!.get(l)!);
  }
}

export interface Answer {
  text: string;
  /** 1 when the input fit at once; else the number of parts it was read in. */
  parts: number;
}

function overflowMessage(tokens: number, maxOutput: number, model: ModelInfo, splittable: boolean): string {
  const over = tokens + maxOutput - model.contextTokens;
  return (
    `The input is ${tokens} tokens and max_output_size is ${maxOutput}: ${over} tokens more than the ${model.contextTokens}-token context of model ${model.name}. ` +
    'Shorten the input (fewer transcript_ids, shorter input_text, prompt or context) or lower max_output_size' +
    (splittable ? '' : ', use summary, question-answer or action-items (they split long input into parts automatically)') +
    ', or configure a model with a larger context (EARSHOT_LLM_CONTEXT_TOKENS).'
  );
}

/** Splits a line too long for one chunk into pieces of whole words. */
async function splitLine(session: Session, line: SourceLine, tokens: number, budget: number): Promise<SourceLine[]> {
  const words = line.text.split(' ');
  const pieces = Math.min(words.length, Math.ceil((tokens * 1.1) / budget));
  const per = Math.ceil(words.length / pieces);
  const out: SourceLine[] = [];
  for (let i = 0; i < words.length; i += per) out.push({ text: words.slice(i, i + per).join(' '), heading: line.heading });
  const counts = await session.tokensOf(out);
  // A single word longer than the budget cannot be split further: it goes as it is and fails the exact check.
  if (out.length > 1 && counts.some((c) => c > budget))
    return (await Promise.all(out.map((p, i) => (counts[i]! > budget ? splitLine(session, p, counts[i]!, budget) : [p])))).flat();
  return out;
}

/** Packs lines into chunks of at most `budget` tokens, in order. */
export async function chunk(session: Session, lines: readonly SourceLine[], budget: number): Promise<SourceLine[][]> {
  const counts = await session.tokensOf(lines);
  const chunks: SourceLine[][] = [];
  let current: SourceLine[] = [];
  let size = 0;
  for (let i = 0; i < lines.length; i++) {
    const pieces = counts[i]! > budget ? await splitLine(session, lines[i]!, counts[i]!, budget) : [lines[i]!];
    const pieceCounts = pieces.length === 1 ? [counts[i]!] : await session.tokensOf(pieces);
    pieces.forEach((piece, j) => {
      if (size + pieceCounts[j]! > budget && current.length) {
        chunks.push(current);
        current = [];
        size = 0;
      }
      current.push(piece);
      size += pieceCounts[j]!;
    });
  }
  if (current.length) chunks.push(current);
  return chunks;
}

/** Notes on each part of `lines`, each part checked exactly against the context before it is sent. */
async function notesOnParts(
  session: Session,
  lines: readonly SourceLine[],
  context: string,
  instruction: string,
  maxOutput: number,
): Promise<string[]> {
  const model = session.model;
  const overhead = (await session.fits(partMessages('', 99, 99, context, instruction), 0)).tokens;
  const room = model.contextTokens - overhead;
  const notesTokens = Math.min(maxOutput, Math.floor(room / NOTES_SHARE));
  const budget = room - notesTokens;
  if (budget < MIN_CHUNK_TOKENS) {
    throw errors.contextExceeded(
      `The ${model.contextTokens}-token context of model ${model.name} leaves too little room to read the input in parts ` +
        `(${overhead} tokens of instructions and context). Shorten the context or configure a model with a larger context (EARSHOT_LLM_CONTEXT_TOKENS).`,
    );
  }
  const queue = await chunk(session, lines, budget);
  const total = queue.length;
  const notes: string[] = [];
  while (queue.length) {
    const part = queue.shift()!;
    const messages = partMessages(joinLines(part), notes.length + 1, total, context, instruction);
    if (!(await session.fits(messages, notesTokens)).ok && part.length > 1) {
      // Separate counts add up a little differently from the joined text: halve and go again.
      const half = Math.ceil(part.length / 2);
      queue.unshift(part.slice(0, half), part.slice(half));
      continue;
    }
    notes.push((await session.chat(messages, notesTokens)).text);
  }
  return notes;
}

/**
 * Answers `ask` about `source`: in one call when it fits the model's context, else (when
 * `splittable`) by map-reduce: notes on each part, condensed further if they are still too long,
 * then the final answer from the notes. Unsplittable input that does not fit is a 400 saying by how much.
 */
export async function answer(
  session: Session,
  source: readonly SourceLine[],
  context: string,
  ask: Ask,
  maxOutput: number,
  splittable: boolean,
): Promise<Answer> {
  const direct = directMessages(joinLines(source), context, ask.instruction);
  const whole = await session.fits(direct, maxOutput);
  if (whole.ok) return { text: (await session.chat(direct, maxOutput, ask.jsonSchema, true)).text, parts: 1 };
  if (!splittable) throw errors.contextExceeded(overflowMessage(whole.tokens, maxOutput, session.model, false));

  let notes = await notesOnParts(session, source, context, ask.partInstruction, maxOutput);
  const parts = notes.length;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const final = notesMessages(notes, context, ask.instruction);
    if ((await session.fits(final, maxOutput)).ok)
      return { text: (await session.chat(final, maxOutput, ask.jsonSchema, true)).text, parts };
    const lines = notes.map((n, i) => ({ text: `[Notes on part ${i + 1}] ${n.replace(/\s*\n\s*/g, ' ')}`, heading: '' }));
    notes = await notesOnParts(
      session,
      lines,
      context,
      `These are notes on parts of long transcripts. Condense them, keeping everything needed for this: ${ask.instruction}`,
      maxOutput,
    );
  }
  throw errors.contextExceeded(overflowMessage(whole.tokens, maxOutput, session.model, true));
}
