import { access } from 'node:fs/promises';
import { acousticConfidence, frameDb, toFloat32 } from './acoustic.js';
import { EngineUnavailableError, SAMPLE_RATE, type Engine, type EngineResult, type EngineWord, type TranscribeOptions } from './engine.js';

/**
 * whisper.cpp through @napi-rs/whisper. Chosen over the other npm bindings because its linux-x64
 * binary is built with AVX2/FMA and links only libc/libm/libgcc (the @fugood builds are SSE2-only
 * and several times slower), it keeps one loaded context for many calls, and it exposes
 * `splitOnWord`, which gives one segment per word with token-level timestamps.
 *
 * Limits of that binding, and what this file does about them:
 * - `full()` is synchronous: it blocks the calling thread until done. Engines run in worker
 *   threads (src/pipeline/engine-worker.ts), so the HTTP thread is unaffected, but an abort is
 *   only noticed before and after the run, and progress is reported once, at the end.
 * - Segments arrive through a thread-safe callback queued during `full()`, so they are delivered
 *   after it returns; we wait until they add up to the text `full()` returned.
 * - No token probabilities are exposed: a word's confidence is how clearly it was heard (acoustic.ts), as for the
 *   sherpa-onnx models that give none.
 * - There is no explicit free: `close()` drops the context and the finaliser frees it.
 */
type Binding = typeof import('@napi-rs/whisper');
type Segment = import('@napi-rs/whisper').Segment;

let binding: Promise<Binding> | null = null;

function loadBinding(): Promise<Binding> {
  binding ??= import('@napi-rs/whisper').catch((err: Error) => {
    binding = null;
    throw new EngineUnavailableError(
      'whisper',
      `the native module @napi-rs/whisper could not be loaded on ${process.platform}-${process.arch}: ${err.message}`,
    );
  });
  return binding;
}

/**
 * AssemblyAI language code → whisper language. `en_us`, `en_uk`… are all whisper's `en`; no code
 * means auto-detection (multilingual models) or English (`.en` models).
 */
export function whisperLanguage(
  code: string | null | undefined,
  englishOnly: boolean,
  knows: (lang: string) => boolean = () => true,
): string {
  if (!code) return englishOnly ? 'en' : 'auto';
  let lang = code.toLowerCase().split(/[_-]/)[0]!;
  if (lang === 'jv') lang = 'jw'; // whisper's code for Javanese
  if (englishOnly && lang !== 'en')
    throw new Error(
      `This whisper model is English-only and cannot transcribe language_code "${code}"; use a multilingual model (e.g. \`earshot models pull base\`)`,
    );
  if (!knows(lang)) throw new Error(`whisper does not support language_code "${code}"`);
  return lang;
}

/**
 * Word segments (times in centiseconds, as whisper.cpp counts) → engine words in ms. Drops
 * whisper's non-speech annotations such as "[BLANK_AUDIO]" or "(upbeat music)", which split into
 * several word segments when bracketed text has spaces.
 */
export function segmentsToWords(segments: Segment[], confidence: (startMs: number, endMs: number) => number): EngineWord[] {
  const MAX_ANNOTATION_WORDS = 6; // a longer "(…" is real speech in parentheses, kept as words
  const words: EngineWord[] = [];
  let pending: EngineWord[] = [];
  let closer: string | null = null;
  for (const s of segments) {
    const text = s.text.trim();
    if (!text) continue;
    const start = s.start * 10;
    const end = Math.max(start, s.end * 10);
    const word = { text, start, end, confidence: confidence(start, end) };
    if (closer === null && /^[[(]/.test(text)) closer = text[0] === '[' ? ']' : ')';
    if (closer === null) {
      words.push(word);
      continue;
    }
    pending.push(word);
    if (new RegExp(`\\${closer}[.,!?]*$`).test(text)) {
      pending = []; // a complete annotation: drop it
      closer = null;
    } else if (pending.length >= MAX_ANNOTATION_WORDS) {
      words.push(...pending);
      pending = [];
      closer = null;
    }
  }
  return words.concat(pending);
}

const squash = (s: string) => s.replace(/\s+/g, '');

/** Waits for the queued segment callbacks to catch up with the text `full()` returned. */
async function drained(segments: Segment[], text: string, timeoutMs = 5000): Promise<void> {
  const want = squash(text);
  const deadline = Date.now() + timeoutMs;
  while (squash(segments.map((s) => s.text).join('')) !== want) {
    if (Date.now() > deadline) throw new Error('whisper: timed out waiting for word segments from the native module');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export interface WhisperEngineOptions {
  modelPath: string;
  /** Reported as `speech_model_used`, e.g. "whisper-base.en". */
  model: string;
  threads: number;
}

export async function createWhisperEngine({ modelPath, model, threads }: WhisperEngineOptions): Promise<Engine> {
  const w = await loadBinding();
  try {
    await access(modelPath);
  } catch {
    throw new Error(`whisper model file not found: ${modelPath} (install one with \`earshot models pull <name>\`)`);
  }
  let ctx: InstanceType<Binding['Whisper']> | null;
  try {
    ctx = new w.Whisper(modelPath, { useGpu: false });
  } catch (err) {
    throw new Error(`whisper could not load the model ${modelPath}: ${(err as Error).message} (is it a whisper.cpp ggml .bin file?)`, {
      cause: err,
    });
  }
  const englishOnly = ctx.isMultilingual === 0;
  const knows = (lang: string) => w.Whisper.langId(lang) >= 0;

  return {
    name: 'whisper',
    model,
    async transcribe(pcm: AsyncIterable<Buffer>, options: TranscribeOptions = {}): Promise<EngineResult> {
      const { signal } = options;
      const language = whisperLanguage(options.languageCode, englishOnly, knows);
      // whisper decodes 30 s windows with context carried across them, so it needs the whole recording at once.
      const chunks: Buffer[] = [];
      for await (const chunk of pcm) {
        signal?.throwIfAborted();
        chunks.push(chunk);
      }
      const samples = toFloat32(Buffer.concat(chunks));
      chunks.length = 0;
      const audioMs = Math.round((samples.length / SAMPLE_RATE) * 1000);
      const languageCode = options.languageCode ?? (englishOnly ? 'en_us' : undefined);
      if (samples.length === 0) return { words: [], language_code: languageCode, punctuated: true };
      if (!ctx) throw new Error('whisper engine is closed');
      signal?.throwIfAborted();

      const params = new w.WhisperFullParams(w.WhisperSamplingStrategy.Greedy);
      params.nThreads = Math.max(1, threads);
      params.language = language;
      // One segment per word, timed from token timestamps: AssemblyAI transcripts are word lists.
      params.tokenTimestamps = true;
      params.maxLen = 1;
      params.splitOnWord = true;
      params.printProgress = false;
      params.printRealtime = false;
      params.printTimestamps = false;
      const segments: Segment[] = [];
      params.onNewSegment = (s) => segments.push(s);

      const text = ctx.full(params, samples);
      await drained(segments, text);
      signal?.throwIfAborted();
      options.onProgress?.(audioMs);

      const detected = language === 'auto' ? w.Whisper.lang(ctx.fullLangId) : null;
      return {
        words: segmentsToWords(segments, acousticConfidence(frameDb(samples))),
        language_code: languageCode ?? (detected === 'jw' ? 'jv' : (detected ?? undefined)),
        punctuated: true,
      };
    },
    async close(): Promise<void> {
      ctx = null;
    },
  };
}
