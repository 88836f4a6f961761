import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmError } from '../../src/lemur/backend.js';
import { EmbeddedBackend } from '../../src/lemur/embedded.js';
import { optionsSchema, parseOptionAnswer } from '../../src/lemur/prompt.js';
import { createLogger } from '../../src/log.js';
import { TINY_MODEL } from '../helpers/llm.js';

let llm: EmbeddedBackend;

beforeAll(async () => {
  llm = new EmbeddedBackend({
    modelPath: TINY_MODEL,
    name: 'tiny',
    contextTokens: 512,
    threads: 1,
    timeoutMs: 600_000,
    log: createLogger('warn'),
  });
  await llm.warm();
});

afterAll(() => llm.close());

const ask = (content: string) => [{ role: 'user' as const, content }];

describe('embedded llama.cpp backend', () => {
  it('reports its model and context size', async () => {
    expect(llm.loading).toBe(false);
    expect(await llm.models()).toEqual([{ name: 'tiny', contextTokens: 512 }]);
  });

  it('counts the prompt with the chat template, and the answer token by token', async () => {
    const short = await llm.countPromptTokens('tiny', ask('hello'));
    const [hello, longer] = await llm.countTokens('tiny', ['hello', 'hello hello hello hello']);
    expect(await llm.countPromptTokens('tiny', ask('hello hello hello hello'))).toBe(short - hello! + longer!);
    expect(short).toBeGreaterThan(hello!); // the template's role markers

    const pieces: string[] = [];
    const r = await llm.chat({ model: 'tiny', messages: ask('hello'), maxTokens: 12, temperature: 0, onText: (t) => pieces.push(t) });
    expect(r.inputTokens).toBe(short);
    expect(r.finishReason).toBe('length');
    expect(r.outputTokens).toBe(12);
    expect(pieces.join('')).toBe(r.text);
  });

  it('says while it answers, and when it last produced a token, so a health check need not queue behind it', async () => {
    expect(llm.activity().running).toBe(false);
    const seen: { running: boolean; lastTokenAt: number | null }[] = [];
    const before = Date.now();
    await llm.chat({ model: 'tiny', messages: ask('hello'), maxTokens: 6, temperature: 0, onText: () => seen.push(llm.activity()) });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((a) => a.running)).toBe(true);
    expect(seen.at(-1)!.lastTokenAt).toBeGreaterThanOrEqual(before);
    expect(llm.activity().running).toBe(false);
  });

  it('is deterministic at temperature 0', async () => {
    const a = await llm.chat({ model: 'tiny', messages: ask('same prompt'), maxTokens: 8, temperature: 0 });
    const b = await llm.chat({ model: 'tiny', messages: ask('same prompt'), maxTokens: 8, temperature: 0 });
    expect(b.text).toBe(a.text);
  });

  it('follows a JSON schema through a grammar', async () => {
    const r = await llm.chat({
      model: 'tiny',
      messages: ask('yes or no?'),
      maxTokens: 40,
      temperature: 0.8,
      jsonSchema: optionsSchema(['Yes', 'No']),
    });
    expect(['Yes', 'No']).toContain(parseOptionAnswer(r.text));
    expect(r.finishReason).toBe('stop');
  });

  it('refuses a prompt that does not fit instead of silently dropping its start', async () => {
    const err = await llm
      .chat({ model: 'tiny', messages: ask('word '.repeat(600)), maxTokens: 10, temperature: 0 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).kind).toBe('bad-request');
    expect((err as LlmError).message).toMatch(
      /^The prompt is \d+ tokens; with 10 tokens for the answer that is more than the model's context of 512 tokens$/,
    );
  });

  it('stops when the request is aborted, and keeps serving', async () => {
    const controller = new AbortController();
    const run = llm.chat({
      model: 'tiny',
      messages: ask('go on'),
      maxTokens: 400,
      temperature: 0,
      signal: controller.signal,
      onText: () => controller.abort(new Error('gone')),
    });
    await expect(run).rejects.toThrow('gone');
    expect((await llm.chat({ model: 'tiny', messages: ask('still there?'), maxTokens: 3, temperature: 0 })).outputTokens).toBe(3);
  });

  it('stops a request past its time limit with a timeout error, and the next is not stuck behind it', async () => {
    const hasty = new EmbeddedBackend({
      modelPath: TINY_MODEL,
      name: 'tiny',
      contextTokens: 512,
      threads: 1,
      timeoutMs: 1,
      log: createLogger('warn'),
    });
    try {
      await hasty.warm();
      const run = hasty.chat({ model: 'tiny', messages: ask('a long answer, please'), maxTokens: 400, temperature: 0 });
      await expect(run).rejects.toMatchObject({
        name: 'LlmError',
        kind: 'timeout',
        message: expect.stringMatching(/within 1 ms \(EARSHOT_LLM_TIMEOUT_MS\)$/),
      });
      await expect(hasty.chat({ model: 'tiny', messages: ask('again'), maxTokens: 400, temperature: 0 })).rejects.toBeInstanceOf(LlmError);
    } finally {
      await hasty.close();
    }
  });

  it('names the file when a model cannot be loaded', async () => {
    const broken = new EmbeddedBackend({
      modelPath: '/nonexistent/model.gguf',
      name: 'x',
      contextTokens: 0,
      threads: 1,
      timeoutMs: 600_000,
      log: createLogger('silent'),
    });
    await expect(broken.models()).rejects.toThrow(/^The LLM \/nonexistent\/model\.gguf could not be loaded: /);
    await broken.close();
  });
});
