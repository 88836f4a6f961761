import { AssemblyAI } from 'assemblyai-lemur';
import { getLlama, LlamaChat, type ChatHistoryItem, type Llama, type LlamaModel } from 'node-llama-cpp';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimatePromptTokens } from '../../src/lemur/tokens.js';
import { librivoxClips } from '../helpers/librivox.js';
import { completedTranscript, TINY_MODEL, TINY_MODEL_NAME, tinyLlmEnv } from '../helpers/llm.js';
import { validateSchema } from '../helpers/openapi.js';
import { api, startServer, type TestServer } from '../helpers/server.js';

const LEMUR_SPEC = 'openapi-2025-01-full-with-lemur-and-realtime-token.yml' as const;
const GATEWAY_SPEC = 'llm-gateway.yml' as const;
const CONTEXT = 1024;
const LONG_MEETING = Array.from(
  { length: 150 },
  (_, i) => `Speaker ${'AB'[i % 2]}: item ${i} is due on day ${i % 30}, and ${i % 7} people work on it.`,
).join('\n');

/** Prompt tokens straight from node-llama-cpp (its chat template for the model, its tokenizer): no Earshot code. */
async function promptTokens(model: LlamaModel, history: ChatHistoryItem[]): Promise<number> {
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  try {
    const chat = new LlamaChat({ contextSequence: context.getSequence() });
    return chat.chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer).length;
  } finally {
    await context.dispose();
  }
}

describe('the LLM Gateway and the OpenAI-compatible backend, against real servers', () => {
  /** Runs the embedded model. */
  let a: TestServer;
  /** Uses a's `/v1` as its OpenAI-compatible LLM server. */
  let b: TestServer;
  let openaiA: OpenAI;
  let llama: Llama;
  let model: LlamaModel;

  beforeAll(async () => {
    // Info logs: a test reads what the server did when a client went away.
    a = await startServer({ env: { ...tinyLlmEnv(CONTEXT), EARSHOT_LOG_LEVEL: 'info' } });
    b = await startServer({ env: { EARSHOT_LLM_URL: `${a.url}/v1`, EARSHOT_LLM_API_KEY: a.key } });
    openaiA = new OpenAI({ apiKey: a.key, baseURL: `${a.url}/v1` });
    llama = await getLlama({ gpu: false });
    model = await llama.loadModel({ modelPath: TINY_MODEL });
  });
  afterAll(async () => {
    if (process.env.EARSHOT_TEST_SHOW_OUTPUT) console.log(a?.output(), b?.output());
    await model?.dispose();
    await llama?.dispose();
    await b?.destroy();
    await a?.destroy();
  });

  const messages = [
    { role: 'system' as const, content: 'You are terse.' },
    { role: 'user' as const, content: 'Name three colours.' },
  ];

  it('answers the openai client, with the prompt counted as the model counts it', async () => {
    const res = await openaiA.chat.completions.create({ model: TINY_MODEL_NAME, messages, max_tokens: 12, temperature: 0 });
    validateSchema('Response', res, GATEWAY_SPEC);
    expect(res.choices[0]!.message.role).toBe('assistant');
    expect(typeof res.choices[0]!.message.content).toBe('string');
    expect(res.choices[0]!.finish_reason).toBe('length');
    const expected = await promptTokens(model, [
      { type: 'system', text: 'You are terse.' },
      { type: 'user', text: 'Name three colours.' },
      { type: 'model', response: [] },
    ]);
    expect(res.usage).toMatchObject({
      prompt_tokens: expected,
      completion_tokens: 12,
      total_tokens: expected + 12,
      input_tokens: expected,
      output_tokens: 12,
    });
    expect(res.model).toBe(TINY_MODEL_NAME);
  });

  it('streams the same answer as server-sent events', async () => {
    const whole = await openaiA.chat.completions.create({ model: 'default', messages, max_tokens: 12, temperature: 0 });
    const stream = await openaiA.chat.completions.create({ model: 'default', messages, max_tokens: 12, temperature: 0, stream: true });
    let text = '';
    let finish: string | null = null;
    let usage: Record<string, number> | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = (chunk.usage as Record<string, number> | undefined) ?? usage;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(finish).toBe('length');
    expect(usage).toMatchObject({ prompt_tokens: whole.usage!.prompt_tokens, completion_tokens: 12 });
  });

  it("takes upstream's `prompt` form and JSON-schema response formats", async () => {
    const res = await api(a, '/v1/chat/completions', {
      method: 'POST',
      json: {
        model: TINY_MODEL_NAME,
        prompt: 'Give me a verdict.',
        max_tokens: 60,
        temperature: 0.7,
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'verdict',
            schema: { type: 'object', properties: { verdict: { enum: ['guilty', 'innocent'] } }, required: ['verdict'] },
          },
        },
      },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    validateSchema('Response', body, GATEWAY_SPEC);
    expect(['guilty', 'innocent']).toContain(JSON.parse(body.choices[0]!.message.content).verdict);
  });

  it('stops generating when the client goes away, streaming or not', async () => {
    const controller = new AbortController();
    const stream = await openaiA.chat.completions.create(
      { model: 'default', messages, max_tokens: 900, temperature: 0, stream: true },
      { signal: controller.signal },
    );
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) {
        controller.abort();
        break;
      }
    }
    const task = fetch(`${a.url}/lemur/v3/generate/task`, {
      method: 'POST',
      headers: { authorization: a.key, 'content-type': 'application/json' },
      body: JSON.stringify({ input_text: 'hi', prompt: 'Go on and on.', max_output_size: 900 }),
      signal: AbortSignal.timeout(250), // in the handler by then, and far from 900 tokens
    });
    await expect(task).rejects.toThrow();
    for (let i = 0; i < 100 && !/"code":"CLIENT_CLOSED".*request rejected/.test(a.output()); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(a.output()).toMatch(/"code":"CLIENT_CLOSED".*"msg":"LLM gateway stream stopped: the client closed the connection"/);
    expect(a.output()).toMatch(
      /"code":"CLIENT_CLOSED","msg":"The client closed the connection before the answer was ready".*request rejected/,
    );
    // Nothing is left generating for nobody: the model answers at once.
    const after = await openaiA.chat.completions.create({ model: 'default', messages, max_tokens: 2, temperature: 0 });
    expect(after.usage!.completion_tokens).toBe(2);
  });

  it('lists its models, and answers errors in the shape OpenAI clients read', async () => {
    const list = await openaiA.models.list();
    expect(list.data).toEqual([{ id: TINY_MODEL_NAME, object: 'model', created: 0, owned_by: 'earshot', context_length: CONTEXT }]);

    // Upstream's ids are answered by the default model (EARSHOT_LLM_MODEL_ALIASES), and the answer says which.
    const aliased = await openaiA.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 2 });
    expect(aliased.model).toBe(TINY_MODEL_NAME);

    const invalid = await openaiA.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 0 }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(OpenAI.BadRequestError);
    expect((invalid as InstanceType<typeof OpenAI.APIError>).message).toBe('400 max_tokens must be a positive integer');
    validateSchema('ErrorResponse', { error: (invalid as InstanceType<typeof OpenAI.APIError>).error }, GATEWAY_SPEC);

    const unauthorized = await new OpenAI({ apiKey: 'wrong', baseURL: `${a.url}/v1` }).models.list().catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((unauthorized as Error).message).toBe('401 Authentication error, API token missing/invalid');
  });

  it('runs LeMUR on a second Earshot through the first one, with the remote server counting the tokens', async () => {
    const models = await api(b, '/v1/models').then((r) => r.json());
    // b learned the model and its context from a's `/v1/models`.
    expect((models as { data: unknown[] }).data).toEqual([
      { id: TINY_MODEL_NAME, object: 'model', created: 0, owned_by: 'earshot', context_length: CONTEXT },
    ]);

    const transcript = await completedTranscript(b, librivoxClips()[2]!.wav);
    const client = new AssemblyAI({ apiKey: b.key, baseUrl: b.url });
    const task = await client.lemur.task({ transcript_ids: [transcript.id as string], prompt: 'What is read?', max_output_size: 16 });
    validateSchema('LemurTaskResponse', task, LEMUR_SPEC);
    expect(task.usage.output_tokens).toBe(16);

    const qa = await client.lemur.questionAnswer({
      transcript_ids: [transcript.id as string],
      questions: [{ question: 'Good?', answer_options: ['Yes', 'No'] }],
      max_output_size: 40,
    });
    validateSchema('LemurQuestionAnswerResponse', qa, LEMUR_SPEC);
    expect(['Yes', 'No']).toContain(qa.response[0]!.answer);

    // b estimates before sending (one token per 3 bytes, on the high side); a reports exact counts.
    const exact = await api(a, '/v1/chat/completions', {
      method: 'POST',
      json: { model: 'default', messages, max_tokens: 1, temperature: 0 },
    }).then((r) => r.json());
    const viaB = await api(b, '/v1/chat/completions', {
      method: 'POST',
      json: { model: 'default', messages, max_tokens: 1, temperature: 0 },
    }).then((r) => r.json());
    expect(viaB.usage.prompt_tokens).toBe(exact.usage.prompt_tokens);
    expect(estimatePromptTokens(messages)).toBeGreaterThan(exact.usage.prompt_tokens);
  });

  it('splits long input on the second Earshot by its estimate, which the first never refuses', async () => {
    const summary = await api(b, '/lemur/v3/generate/summary', { method: 'POST', json: { input_text: LONG_MEETING, max_output_size: 16 } });
    expect(summary.status).toBe(200);
    expect(((await summary.json()) as { map_reduce: { parts: number } }).map_reduce.parts).toBeGreaterThan(1);

    const task = await api(b, '/lemur/v3/generate/task', {
      method: 'POST',
      json: { input_text: LONG_MEETING, prompt: 'Due?', max_output_size: 16 },
    });
    expect(task.status).toBe(400);
    expect(((await task.json()) as { error: string }).error).toMatch(
      /^The input is \d+ tokens and max_output_size is 16: \d+ tokens more than the 1024-token context of model llama-2-tiny-random\./,
    );
  });

  it("streams through the second Earshot, and reports the first one's refusals as 502", async () => {
    const openaiB = new OpenAI({ apiKey: b.key, baseURL: `${b.url}/v1` });
    const direct = await openaiA.chat.completions.create({ model: 'default', messages, max_tokens: 10, temperature: 0 });
    const stream = await openaiB.chat.completions.create({
      model: TINY_MODEL_NAME,
      messages,
      max_tokens: 10,
      temperature: 0,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(direct.choices[0]!.message.content);

    // More answer than a's context holds: a refuses it, b says where the failure came from.
    const res = await api(b, '/v1/chat/completions', { method: 'POST', json: { model: 'default', messages, max_tokens: 5000 } });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: number; message: string } };
    expect(body.error.code).toBe(502);
    expect(body.error.message).toMatch(
      new RegExp(
        `^The LLM server at ${a.url}/v1/chat/completions answered 400: The prompt is \\d+ tokens; with 5000 tokens for the answer that is more than the model's context of 1024 tokens$`,
      ),
    );
  });
});
