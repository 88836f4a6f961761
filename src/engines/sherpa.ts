import { createRequire } from 'node:module';
import { acousticConfidence, FRAME, frameDb, toFloat32 } from './acoustic.js';
import {
  EngineUnavailableError,
  SAMPLE_RATE,
  type Engine,
  type EngineResult,
  type EngineWord,
  type StreamingDecoder,
  type StreamingEngine,
  type TranscribeOptions,
} from './engine.js';
import { ENDPOINT_RULES, featureSampleRate, modelConfig, type SherpaFamily, type SherpaModel } from './sherpa-models.js';

/**
 * k2-fsa's sherpa-onnx through its Node addon (`sherpa-onnx-node`, which ships its own onnxruntime).
 * The addon has no TypeScript types (JSDoc in its types.js); the few calls used are declared here.
 */
interface Waveform {
  samples: Float32Array;
  sampleRate: number;
}
interface OnlineStream {
  acceptWaveform(w: Waveform): void;
  inputFinished(): void;
}
/** What `getResult` returns (JSON from the C++ side); times in seconds. */
export interface SherpaResult {
  text: string;
  tokens: string[];
  timestamps: number[];
  /** Streaming transducer decoders' per-token scores (see `tokenLogProbs`; empty for CTC models). */
  ys_probs?: number[];
  ys_log_probs?: number[];
  durations?: number[];
  /** Streaming: where the current segment starts (seconds from the first audio); timestamps count from it. */
  start_time?: number;
  lang?: string;
}
interface OnlineRecognizer {
  createStream(): OnlineStream;
  isReady(s: OnlineStream): boolean;
  decode(s: OnlineStream): void;
  isEndpoint(s: OnlineStream): boolean;
  reset(s: OnlineStream): void;
  getResult(s: OnlineStream): SherpaResult;
}
interface OfflineStream {
  acceptWaveform(w: Waveform): void;
}
interface OfflineRecognizer {
  createStream(): OfflineStream;
  decodeAsync(s: OfflineStream): Promise<SherpaResult>;
}
export interface SherpaAddon {
  OnlineRecognizer: new (config: Record<string, unknown>) => OnlineRecognizer;
  OfflineRecognizer: { createAsync(config: Record<string, unknown>): Promise<OfflineRecognizer> };
}

let addon: SherpaAddon | null = null;

export function loadSherpa(): SherpaAddon {
  if (addon) return addon;
  try {
    addon = createRequire(import.meta.url)('sherpa-onnx-node') as SherpaAddon;
  } catch (err) {
    throw new EngineUnavailableError(
      'sherpa',
      `sherpa-onnx-node could not be loaded on ${process.platform}-${process.arch}: ${(err as Error).message}`,
    );
  }
  return addon;
}

/** A token's span when the model gives none: one 40 ms encoder frame (zipformer's 10 ms features subsampled 4×). */
const TOKEN_MS = 40;

/**
 * Per-token log-probabilities, where the decoder gives them: offline results' `ys_log_probs`; streaming results'
 * `ys_probs`, which sherpa-onnx's greedy search fills with log-probabilities and some other decoders with
 * probabilities (`exp` of them) — any negative value means logs, since a probability never is.
 */
function tokenLogProbs(r: SherpaResult): number[] | null {
  if (r.ys_log_probs?.length) return r.ys_log_probs;
  const p = r.ys_probs;
  if (!p?.length) return null;
  return p.some((v) => v < 0) ? p : p.map((v) => Math.log(Math.max(v, 1e-10)));
}

/**
 * Tokens → words. sherpa-onnx writes SentencePiece's word-start mark `▁` (and whisper's byte-BPE space) as
 * a leading space, so a token starting with a space, or the first token, starts a word. A word starts at
 * its first token's time and ends at its last token's end (its duration where the model gives one, else
 * one frame), never past the next word's start. Its confidence is the geometric mean of its tokens'
 * probabilities (exp of their mean log-probability), or `fallback` where the model gives none.
 */
export function tokensToWords(
  r: SherpaResult,
  offsetS: number,
  fallback: (text: string, startMs: number, endMs: number) => number,
): EngineWord[] {
  const logProbs = tokenLogProbs(r);
  const groups: { text: string; start: number; end: number; logProbs: number[] }[] = [];
  r.tokens.forEach((token, i) => {
    const t = r.timestamps[i];
    if (t === undefined || token.startsWith('<|') || token === '') return;
    const startMs = (offsetS + t) * 1000;
    const endMs = startMs + (r.durations?.[i] !== undefined ? r.durations[i]! * 1000 : TOKEN_MS);
    const last = groups[groups.length - 1];
    if (!last || /^\s/.test(token)) groups.push({ text: token.trim(), start: startMs, end: endMs, logProbs: [] });
    else {
      last.text += token;
      last.end = Math.max(last.end, endMs);
    }
    if (logProbs && logProbs[i] !== undefined) groups[groups.length - 1]!.logProbs.push(logProbs[i]!);
  });
  return groups
    .filter((g) => g.text !== '')
    .map((g, i, all) => {
      const next = all[i + 1];
      const start = Math.round(g.start);
      const end = Math.round(Math.max(g.start, next ? Math.min(g.end, next.start) : g.end));
      const confidence = g.logProbs.length
        ? Math.exp(g.logProbs.reduce((a, b) => a + b, 0) / g.logProbs.length)
        : fallback(g.text, start, end);
      return { text: g.text, start, end, confidence: Math.min(1, Math.max(0, confidence)) };
    });
}

/**
 * Confidence for a streaming word when the model gives no token probabilities (CTC models): how many of
 * the hypotheses decoded since the word first appeared still had it, at the same place — a word the
 * decoder keeps revising is less certain than one it never changed. 0.5 for a word seen once.
 */
class Stability {
  private seen = new Map<string, { hyps: number; kept: number }>();
  private hyps = 0;

  observe(words: EngineWord[]): void {
    this.hyps++;
    const present = new Set(words.map((w) => `${w.start}:${w.text}`));
    for (const key of present) {
      const s = this.seen.get(key);
      if (s) s.kept++;
      else this.seen.set(key, { hyps: this.hyps, kept: 1 });
    }
  }

  confidence(text: string, start: number): number {
    const s = this.seen.get(`${start}:${text}`);
    if (!s) return 0.5;
    const span = this.hyps - s.hyps + 1;
    return span <= 1 ? 0.5 : 0.5 + (0.5 * (s.kept - 1)) / (span - 1);
  }

  reset(): void {
    this.seen.clear();
    this.hyps = 0;
  }
}

export interface SherpaEngineOptions {
  model: SherpaModel;
  threads: number;
}

function recognizerConfig(model: SherpaModel, threads: number) {
  return {
    featConfig: { sampleRate: featureSampleRate(model.family), featureDim: 80 },
    modelConfig: modelConfig(model, threads),
    decodingMethod: 'greedy_search',
    enableEndpoint: 1,
    ...ENDPOINT_RULES,
  };
}

/**
 * A streaming model (`OnlineRecognizer`) as a streaming engine. One recognizer (model loaded once) serves
 * every session of the thread, each with its own stream. Its endpointing (trailing-silence rules) is
 * reported, not acted on: the session combines it with the VAD's silence to end a turn.
 */
export function createSherpaStreamingEngine({ model, threads }: SherpaEngineOptions): StreamingEngine {
  const sherpa = loadSherpa();
  if (model.family !== 'online-transducer' && model.family !== 'online-tone-ctc')
    throw new Error(`${model.name} is not a streaming model (${model.family})`);
  let recognizer: OnlineRecognizer | null;
  try {
    recognizer = new sherpa.OnlineRecognizer(recognizerConfig(model, threads));
  } catch (err) {
    throw new EngineUnavailableError('sherpa', `could not load the streaming model ${model.name}: ${(err as Error).message}`);
  }
  const live = (): OnlineRecognizer => {
    if (!recognizer) throw new Error('sherpa engine is closed');
    return recognizer;
  };

  const open = (): StreamingDecoder & { finishInput(): EngineWord[] } => {
    const rec = live();
    let stream = rec.createStream();
    const stability = new Stability();
    const current = (): EngineWord[] => {
      const r = rec.getResult(stream);
      const words = tokensToWords(r, r.start_time ?? 0, (text, start) => stability.confidence(text, start));
      stability.observe(words);
      return words;
    };
    const decode = () => {
      while (rec.isReady(stream)) rec.decode(stream);
    };
    return {
      accept(pcm) {
        stream.acceptWaveform({ samples: toFloat32(pcm), sampleRate: SAMPLE_RATE });
        decode();
        const endpoint = rec.isEndpoint(stream);
        return { words: current(), inSpeech: !endpoint, endpoint };
      },
      endUtterance() {
        const words = current();
        rec.reset(stream);
        stability.reset();
        return words;
      },
      /** Decodes what the model still holds back (its right context) at the end of the input. */
      finishInput() {
        // Tail padding as the examples add, so the last frames leave the model's lookahead.
        stream.acceptWaveform({ samples: new Float32Array(SAMPLE_RATE * 0.6), sampleRate: SAMPLE_RATE });
        stream.inputFinished();
        decode();
        const words = current();
        stream = rec.createStream();
        return words;
      },
      close() {
        // The addon frees a stream with its JS object.
      },
    };
  };

  return {
    name: 'sherpa',
    model: model.name,
    createStream: () => open(),
    async transcribe(pcm, opts = {}) {
      // A whole file through the streaming model: each endpoint ends an utterance, as live.
      const d = open();
      const words: EngineWord[] = [];
      let audioMs = 0;
      let carry = Buffer.alloc(0);
      for await (const chunk of pcm) {
        opts.signal?.throwIfAborted();
        const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        const even = data.length - (data.length % 2);
        carry = Buffer.from(data.subarray(even));
        if (d.accept(data.subarray(0, even)).endpoint) words.push(...d.endUtterance());
        audioMs += (even / 2 / SAMPLE_RATE) * 1000;
        opts.onProgress?.(audioMs);
      }
      words.push(...d.finishInput());
      return { words, language_code: opts.languageCode ?? (model.languages === 'all' ? undefined : 'en_us'), punctuated: false };
    },
    async close() {
      recognizer = null;
    },
  };
}

/** Families whose output is cased and punctuated (Parakeet TDT v2, whisper, Moonshine, SenseVoice with ITN); zipformer and CTC output is not. */
const PUNCTUATING: SherpaFamily[] = ['offline-nemo-transducer', 'offline-whisper', 'offline-moonshine', 'offline-sense-voice'];

/** Longest piece of audio given to an offline model at once: whisper's 30 s window, and a bounded memory for the rest. */
const SEGMENT_S = 30;
/** Where in a segment's last seconds to look for the quietest place to cut. */
const CUT_SEARCH_S = 5;

/** Cuts audio into pieces of at most 30 s, each ending at the quietest 10 ms of its last 5 s (sample offsets). */
export function segmentBounds(db: Float32Array, samples: number): [number, number][] {
  const max = SEGMENT_S * 100;
  const out: [number, number][] = [];
  let start = 0;
  const frames = db.length;
  while (frames - start > max) {
    let cut = start + max;
    for (let f = start + max - CUT_SEARCH_S * 100; f < start + max; f++) if (db[f]! < db[cut]! || cut === start + max) cut = f;
    out.push([start * FRAME, cut * FRAME]);
    start = cut;
  }
  if (start * FRAME < samples) out.push([start * FRAME, samples]);
  return out;
}

/** Words of a result without token times (whisper, Moonshine): spread over the segment in proportion to their length. */
export function spreadWords(text: string, startMs: number, endMs: number): { text: string; start: number; end: number }[] {
  const words = text.split(/\s+/).filter(Boolean);
  const chars = words.reduce((n, w) => n + w.length, 0);
  let at = startMs;
  return words.map((w) => {
    const span = ((endMs - startMs) * w.length) / Math.max(1, chars);
    const word = { text: w, start: Math.round(at), end: Math.round(at + span) };
    at += span;
    return word;
  });
}

/**
 * An offline model (`OfflineRecognizer`) as a batch engine. Audio is cut into pieces of at most 30 s at quiet
 * places and decoded with `decodeAsync`, which runs on a native thread: the worker's event loop stays free
 * for progress reports and aborts between pieces.
 */
export async function createSherpaOfflineEngine({ model, threads }: SherpaEngineOptions): Promise<Engine> {
  const sherpa = loadSherpa();
  if (model.family.startsWith('online-')) throw new Error(`${model.name} is a streaming model (${model.family})`);
  // Whisper and SenseVoice take the language in their config: one recognizer per language asked for.
  const recognizers = new Map<string, Promise<OfflineRecognizer>>();
  const recognizer = (languageCode: string | null | undefined): Promise<OfflineRecognizer> => {
    const perLanguage = model.family === 'offline-whisper' || model.family === 'offline-sense-voice';
    const key = perLanguage ? (languageCode ?? '') : '';
    let r = recognizers.get(key);
    if (!r) {
      r = sherpa.OfflineRecognizer.createAsync({
        featConfig: { sampleRate: 16_000, featureDim: 80 },
        modelConfig: modelConfig(model, threads, perLanguage ? languageCode : null),
      });
      r.catch(() => recognizers.delete(key));
      recognizers.set(key, r);
    }
    return r.catch((err: Error) => {
      throw new EngineUnavailableError('sherpa', `could not load the model ${model.name}: ${err.message}`);
    });
  };
  await recognizer(null);
  let closed = false;

  async function transcribe(pcm: AsyncIterable<Buffer>, opts: TranscribeOptions = {}): Promise<EngineResult> {
    if (model.languages !== 'all' && opts.languageCode && !model.languages.includes(opts.languageCode)) {
      throw new Error(`The model ${model.name} is English-only and cannot transcribe language_code "${opts.languageCode}"`);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of pcm) {
      opts.signal?.throwIfAborted();
      chunks.push(chunk);
    }
    const samples = toFloat32(Buffer.concat(chunks));
    chunks.length = 0;
    const rec = await recognizer(opts.languageCode);
    const db = frameDb(samples);
    const heard = acousticConfidence(db);
    const words: EngineWord[] = [];
    let language: string | undefined;
    for (const [a, b] of segmentBounds(db, samples.length)) {
      if (closed) throw new Error('sherpa engine is closed');
      opts.signal?.throwIfAborted();
      const stream = rec.createStream();
      stream.acceptWaveform({ samples: samples.subarray(a, b), sampleRate: SAMPLE_RATE });
      const r = await rec.decodeAsync(stream);
      const offsetMs = (a / SAMPLE_RATE) * 1000;
      language ||= r.lang?.replace(/^<\|(.*)\|>$/, '$1') || undefined;
      if (r.timestamps.length) words.push(...tokensToWords(r, offsetMs / 1000, (_t, start, end) => heard(start, end)));
      else words.push(...spreadWords(r.text, offsetMs, (b / SAMPLE_RATE) * 1000).map((w) => ({ ...w, confidence: heard(w.start, w.end) })));
      opts.onProgress?.((b / SAMPLE_RATE) * 1000);
    }
    const english = model.languages !== 'all';
    return { words, language_code: opts.languageCode ?? (english ? 'en_us' : language), punctuated: PUNCTUATING.includes(model.family) };
  }

  return {
    name: 'sherpa',
    model: model.name,
    transcribe,
    async close() {
      closed = true;
      recognizers.clear();
    },
  };
}

export type { SherpaFamily, SherpaModel };
