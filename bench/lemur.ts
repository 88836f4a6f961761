import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './server.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startServer } from '../src/server.js';
import type { TranscriptWord } from '../src/transcript/types.js';
import type { ChatMessage } from '../src/lemur/backend.js';
import { toChatHistory } from '../src/lemur/embedded.js';
import { directMessages, joinLines, summaryAsk, transcriptLines } from '../src/lemur/prompt.js';
import type { BenchFigure } from './figure.js';

/** The random-weight test model: the LLM work is small, so Earshot's own cost shows the most. */
export const BENCH_MODEL = path.join(REPO, '..', 'shared', 'models', 'llm', 'llama-2-tiny-random.gguf');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A transcript of `hours` of two people talking: 150 words a minute, turns of about 20 words, sentences of 12. */
export function syntheticTranscript(hours: number): { id: string; text: string; words: TranscriptWord[]; audioDuration: number } {
  const vocabulary = [
    'we',
    'should',
    'ship',
    'the',
    'release',
    'on',
    'Friday',
    'after',
    'testing',
    'budget',
    'review',
    'customer',
    'numbers',
    'look',
    'good',
    'agreed',
  ];
  const count = Math.round(hours * 60 * 150);
  const words: TranscriptWord[] = [];
  let t = 0;
  for (let i = 0; i < count; i++) {
    const end = i % 12 === 11;
    words.push({
      text: `${vocabulary[(i * 7) % vocabulary.length]}${end ? '.' : ''}`,
      start: t,
      end: t + 300,
      confidence: 0.9,
      speaker: Math.floor(i / 20) % 2 ? 'B' : 'A',
    });
    t += end ? 900 : 400;
  }
  return { id: randomBytes(16).toString('hex'), text: '', words, audioDuration: t / 1000 };
}

/**
 * Prompt assembly for a 10-hour transcript: words → timestamped speaker lines → the chat messages
 * (what every LeMUR request does before the model sees anything). Median of `runs`.
 */
export async function measurePromptAssembly(runs = 5): Promise<BenchFigure> {
  const transcript = syntheticTranscript(10);
  const times: number[] = [];
  let chars = 0;
  for (let i = 0; i < runs + 1; i++) {
    const started = process.hrtime.bigint();
    const messages = directMessages(joinLines(transcriptLines([transcript])), '', summaryAsk(undefined).instruction);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    chars = messages[1]!.content.length;
    if (i > 0) times.push(ms); // the first run warms the JIT
  }
  const value = Math.round(median(times) * 10) / 10;
  return {
    name: 'LeMUR prompt assembly for a 10-hour transcript (words → timestamped speaker lines → messages)',
    value,
    unit: 'ms',
    target: '< 200 ms',
    pass: value < 200,
    note: `${transcript.words.length} words, ${(chars / 1e6).toFixed(1)} M characters of prompt; median of ${runs}`,
  };
}

export interface OverheadOptions {
  modelPath?: string;
  threads?: number;
  contextTokens?: number;
  /** Tokens generated per request. */
  maxTokens?: number;
  runs?: number;
}

/**
 * The same chat request, timed through Earshot (`POST /v1/chat/completions` on a real socket: HTTP,
 * auth, validation, model lookup, prompt counting, generation, JSON) and straight through
 * node-llama-cpp with the same model, context, threads and chat template. Earshot runs in this
 * process (the whole app, database and queue included), and the figure is CPU time (all threads
 * of the process): on a shared machine wall time mostly measures what else is running. The two
 * alternate run by run, and each run starts its prompt differently so neither reuses the previous
 * run's evaluated prompt. Ratio of the medians; the wall-time ratio is in the note.
 */
export async function measureLlmOverhead(opts: OverheadOptions = {}): Promise<BenchFigure> {
  const modelPath = opts.modelPath ?? BENCH_MODEL;
  const threads = opts.threads ?? 1;
  const contextTokens = opts.contextTokens ?? 2048;
  const maxTokens = opts.maxTokens ?? 256;
  const runs = opts.runs ?? 15;
  const body = syntheticTranscript(0.05)
    .words.map((w) => w.text)
    .join(' ');
  const messagesFor = (run: number): ChatMessage[] => [
    { role: 'system', content: 'You are a careful assistant that answers requests about transcripts.' },
    { role: 'user', content: `Request ${run}. Summarize this transcript:\n${body}` },
  ];

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'earshot-llm-bench-'));
  const key = randomBytes(16).toString('hex');
  const config = loadConfig(
    {},
    {
      EARSHOT_DATA_DIR: dataDir,
      EARSHOT_PORT: '0',
      EARSHOT_API_KEY: key,
      EARSHOT_ENGINE: 'pocketsphinx',
      EARSHOT_STREAMING_THREADS: '1',
      EARSHOT_LLM_MODEL: modelPath,
      EARSHOT_LLM_THREADS: String(threads),
      EARSHOT_LLM_CONTEXT_TOKENS: String(contextTokens),
      EARSHOT_LLM_RATE_LIMIT: '0',
    },
  );
  const server = await startServer(config, createLogger('warn'));
  const { getLlama, LlamaChat, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize: contextTokens, sequences: 1, threads });
  try {
    const chat = new LlamaChat({ contextSequence: context.getSequence() });
    const url = `${server.url}/v1/chat/completions`;
    const viaEarshot = async (run: number) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: key, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'default', messages: messagesFor(run), max_tokens: maxTokens, temperature: 0 }),
      });
      const json = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
      if (!res.ok) throw new Error(`earshot answered ${res.status}: ${JSON.stringify(json)}`);
      return json.usage;
    };
    const direct = async (run: number) => {
      let tokens = 0;
      await chat.generateResponse(toChatHistory(messagesFor(run)), { maxTokens, temperature: 0, onToken: (t) => (tokens += t.length) });
      return tokens;
    };
    /** CPU and wall milliseconds of one call. */
    const time = async <T>(fn: () => Promise<T>): Promise<[{ cpu: number; wall: number }, T]> => {
      const cpu = process.cpuUsage();
      const started = process.hrtime.bigint();
      const out = await fn();
      const used = process.cpuUsage(cpu);
      return [{ cpu: (used.user + used.system) / 1000, wall: Number(process.hrtime.bigint() - started) / 1e6 }, out];
    };
    // Run 0 warms both (Earshot loads its model in the background on start).
    await viaEarshot(0);
    await direct(0);
    const earshotMs: { cpu: number; wall: number }[] = [];
    const directMs: { cpu: number; wall: number }[] = [];
    let usage = { prompt_tokens: 0, completion_tokens: 0 };
    let directTokens = 0;
    for (let run = 1; run <= runs; run++) {
      const a = () => time(() => viaEarshot(run)).then(([ms, u]) => (earshotMs.push(ms), (usage = u)));
      const b = () => time(() => direct(run)).then(([ms, n]) => (directMs.push(ms), (directTokens = n)));
      if (run % 2) await a().then(b);
      else await b().then(a);
    }
    const cpu = (xs: { cpu: number }[]) => median(xs.map((x) => x.cpu));
    const wall = (xs: { wall: number }[]) => median(xs.map((x) => x.wall));
    const ratio = Math.round((cpu(earshotMs) / cpu(directMs)) * 1000) / 1000;
    return {
      name: 'LLM overhead: Earshot /v1/chat/completions vs node-llama-cpp called directly, same prompt and model (CPU time)',
      value: ratio,
      unit: '×',
      target: '≤ 1.05×',
      pass: ratio <= 1.05,
      note:
        `median CPU ${cpu(earshotMs).toFixed(1)} ms vs ${cpu(directMs).toFixed(1)} ms, wall ${wall(earshotMs).toFixed(1)} ms vs ${wall(directMs).toFixed(1)} ms ` +
        `(${(wall(earshotMs) / wall(directMs)).toFixed(3)}×) over ${runs} alternating runs: Earshot adds ${(cpu(earshotMs) - cpu(directMs)).toFixed(1)} ms of CPU per request; ` +
        `${usage.prompt_tokens} prompt tokens, ${usage.completion_tokens}/${directTokens} tokens generated; ${path.basename(modelPath)}, ${threads} thread(s)`,
    };
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
