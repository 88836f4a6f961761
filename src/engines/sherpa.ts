import { createRequire } from 'node:module';
import { EngineUnavailableError, SAMPLE_RATE, type EngineWord, type StreamingDecoder, type StreamingEngine } from './engine.js';
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
  /** Transducer decoders' per-token probabilities, as log-probabilities (empty for CTC models). */
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
export interface SherpaAddon {
  OnlineRecognizer: new (config: Record<string, unknown>) => OnlineRecognizer;
}

let addon: SherpaAddon | null = null;

export function loadSherpa(): SherpaAddon {
  if (addon) return addon;
  try {
    addon = createRequire(import.meta.url)('sherpa-onnx-node') as SherpaAddon;
  } catch (err) {
    throw new EngineUnavailableError('sherpa', `sherpa-onnx-node could not be loaded on ${process.platform}-${process.arch}: ${(err as Error).message}`);
  }
  return addon;
}

/** s16le → floats in [-1, 1]. Reads byte-wise since a concatenated Buffer may be unaligned. */
export function toFloat32(pcm: Buffer): Float32Array {
  const out = new Float32Array(pcm.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = pcm.readInt16LE(i * 2) / 32768;
  return out;
}

/** A token's span when the model gives none: one 40 ms encoder frame (zipformer's 10 ms features subsampled 4×). */
const TOKEN_MS = 40;

/**
 * Tokens → words. sherpa-onnx writes SentencePiece's word-start mark `▁` (and whisper's byte-BPE space) as
 * a leading space, so a token starting with a space, or the first token, starts a word. A word starts at
 * its first token's time and ends at its last token's end (its duration where the model gives one, else
 * one frame), never past the next word's start. Its confidence is the geometric mean of its tokens'
 * probabilities (exp of their mean log-probability), or `fallback` where the model gives none.
 */
export function tokensToWords(r: SherpaResult, offsetS: number, fallback: (text: string, startMs: number, endMs: number) => number): EngineWord[] {
  const logProbs = r.ys_log_probs?.length ? r.ys_log_probs : r.ys_probs?.length ? r.ys_probs : null;
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
      const confidence = g.logProbs.length ? Math.exp(g.logProbs.reduce((a, b) => a + b, 0) / g.logProbs.length) : fallback(g.text, start, end);
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
  if (model.family !== 'online-transducer' && model.family !== 'online-tone-ctc') throw new Error(`${model.name} is not a streaming model (${model.family})`);
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

export type { SherpaFamily, SherpaModel };
