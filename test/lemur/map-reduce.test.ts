import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/http/errors.js';
import type { ChatRequest } from '../../src/lemur/backend.js';
import { EmbeddedBackend } from '../../src/lemur/embedded.js';
import { answer, Session } from '../../src/lemur/map-reduce.js';
import { parseLemurParams } from '../../src/lemur/params.js';
import { inputTextLines, summaryAsk, taskAsk } from '../../src/lemur/prompt.js';
import { runLemur } from '../../src/lemur/run.js';
import { createLogger } from '../../src/log.js';
import { TINY_MODEL } from '../helpers/llm.js';

const CONTEXT = 512;
let llm: EmbeddedBackend;
/** Every call the model got, with the exact size of its prompt. */
let calls: { request: ChatRequest; inputTokens: number }[];

beforeAll(async () => {
  const backend = new EmbeddedBackend({
    modelPath: TINY_MODEL,
    name: 'tiny',
    contextTokens: CONTEXT,
    threads: 1,
    timeoutMs: 600_000,
    log: createLogger('warn'),
  });
  await backend.warm();
  // The real backend, watched: each call's prompt as counted by the model's own tokenizer.
  const chat = backend.chat.bind(backend);
  backend.chat = async (request) => {
    const result = await chat(request);
    calls.push({ request, inputTokens: result.inputTokens });
    return result;
  };
  llm = backend;
});

afterAll(() => llm.close());

function session(): Session {
  calls = [];
  return new Session(llm, { name: 'tiny', contextTokens: CONTEXT }, 0);
}

/** Meeting-like lines: `lines` of about 12 tokens each. */
const meeting = (lines: number) =>
  inputTextLines(Array.from({ length: lines }, (_, i) => `[${i}] Speaker A: item ${i} is due on day ${i % 30} for the team`).join('\n'));

describe('long input', () => {
  it('is answered in one call when it fits', async () => {
    const s = session();
    const a = await answer(s, meeting(3), '', summaryAsk(undefined), 16, true);
    expect(a.parts).toBe(1);
    expect(calls).toHaveLength(1);
    expect(s.usage).toEqual({ input_tokens: calls[0]!.inputTokens, output_tokens: 16 });
  });

  it('is read in parts that each fit the context, and the answer is made from the notes', async () => {
    const s = session();
    const a = await answer(s, meeting(100), 'weekly planning', summaryAsk('bullet points'), 16, true);
    expect(a.parts).toBeGreaterThan(2);
    expect(calls).toHaveLength(a.parts + 1);
    for (const c of calls) expect(c.inputTokens + c.request.maxTokens).toBeLessThanOrEqual(CONTEXT);
    const last = calls.at(-1)!.request.messages[1]!.content;
    expect(last).toContain(`read in ${a.parts} parts`);
    expect(last).toContain('Context: weekly planning');
    expect(last.endsWith('Based on these notes: Summarize the transcripts. Format the summary as: bullet points.')).toBe(true);
    expect(s.usage.input_tokens).toBe(calls.reduce((n, c) => n + c.inputTokens, 0));
  });

  it('condenses the notes again when they are too long for the final answer', async () => {
    const s = session();
    const a = await answer(s, meeting(1200), '', summaryAsk(undefined), 16, true);
    // Notes of 16 tokens on each of this many parts cannot fit a 512-token context at once.
    expect(a.parts).toBeGreaterThan(CONTEXT / 16);
    expect(calls.length).toBeGreaterThan(a.parts + 1);
    expect(calls.some((c) => c.request.messages[1]!.content.includes('These are notes on parts of long transcripts. Condense them'))).toBe(
      true,
    );
    for (const c of calls) expect(c.inputTokens + c.request.maxTokens).toBeLessThanOrEqual(CONTEXT);
  });

  it('splits a single line longer than a part', async () => {
    const s = session();
    const a = await answer(s, inputTextLines('word '.repeat(1500)), '', summaryAsk(undefined), 8, true);
    expect(a.parts).toBeGreaterThan(2);
  });

  it('is refused for a task, saying how far over it is and what to do', async () => {
    const s = session();
    const err = (await answer(s, meeting(200), '', taskAsk('What was decided?'), 16, false).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.statusCode).toBe(400);
    const m = /^The input is (\d+) tokens and max_output_size is 16: (\d+) tokens more than the 512-token context of model tiny\. /.exec(
      err.message,
    );
    expect(m, err.message).not.toBeNull();
    expect(Number(m![2])).toBe(Number(m![1]) + 16 - CONTEXT);
    expect(err.message).toContain('use summary, question-answer or action-items (they split long input into parts automatically)');
    expect(calls).toHaveLength(0);
  });
});

describe('LeMUR requests', () => {
  it('answers every question, each within the context', async () => {
    const params = parseLemurParams('question-answer', {
      input_text: 'x',
      max_output_size: 12,
      questions: [{ question: 'Who owns item 3?' }, { question: 'Is anything late?', answer_options: ['Yes', 'No'] }],
    });
    const out = await runLemur(session(), params, meeting(120));
    expect(out.parts).toBeGreaterThan(1);
    const pairs = out.response as { question: string; answer: string }[];
    expect(pairs.map((p) => p.question)).toEqual(['Who owns item 3?', 'Is anything late?']);
    expect(out.usage.output_tokens).toBeGreaterThan(0);
    for (const c of calls) expect(c.inputTokens + c.request.maxTokens).toBeLessThanOrEqual(CONTEXT);
  });

  it('refuses a max_output_size that leaves no room for input', async () => {
    const params = parseLemurParams('summary', { input_text: 'x', max_output_size: CONTEXT });
    await expect(runLemur(session(), params, meeting(1))).rejects.toThrow(
      'max_output_size (512) must be less than the 512-token context of model tiny',
    );
  });
});
