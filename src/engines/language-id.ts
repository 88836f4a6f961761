import type * as Ort from 'onnxruntime-node';
import { whisperLogMel } from '../audio/whisper-mel.js';
import { SAMPLE_RATE } from './engine.js';
import { onnxMetadata } from './onnx-metadata.js';

/** A multilingual Whisper model in sherpa-onnx's ONNX export (its `sherpa-onnx-whisper-*` release archives). */
export interface LanguageIdModel {
  encoder: string;
  decoder: string;
}

/** A language Whisper knows (its own code: "en", "fr", "haw") and the model's probability for it. */
export interface LanguageScore {
  code: string;
  probability: number;
}

/** Whisper decides the language from the first 30 s, the window its encoder sees (3000 frames of 10 ms). */
const WINDOW_SECONDS = 30;
const WINDOW_FRAMES = 3000;

/**
 * Spoken language identification as Whisper does it (openai/whisper decoding.py `detect_language`, and sherpa-onnx's
 * scripts/whisper/test.py for its ONNX export): the encoder over the first 30 s, one decoder step from
 * <|startoftranscript|>, and a softmax over the language tokens' logits. Run with onnxruntime-node rather than
 * sherpa-onnx's SpokenLanguageIdentification, which returns the winning code alone and no probabilities, so neither
 * `language_confidence` nor `expected_languages` could be honoured.
 */
export class WhisperLanguageId {
  private constructor(
    private readonly ort: typeof Ort,
    private readonly encoder: Ort.InferenceSession,
    private readonly decoder: Ort.InferenceSession,
    private readonly meta: { nMels: number; sot: number; layers: number; ctx: number; state: number; tokens: number[]; codes: string[] },
  ) {}

  static async load(model: LanguageIdModel, threads: number): Promise<WhisperLanguageId> {
    const m = await onnxMetadata(model.encoder);
    const missing = ['n_mels', 'sot', 'n_text_layer', 'n_text_ctx', 'n_text_state', 'all_language_tokens', 'all_language_codes'].filter(
      (k) => !m[k],
    );
    if (missing.length)
      throw new Error(`${model.encoder} is not a Whisper encoder of sherpa-onnx's export: its metadata lacks ${missing.join(', ')}`);
    if (m.is_multilingual !== '1')
      throw new Error(`${model.encoder} is an English-only Whisper model: language identification needs a multilingual one`);
    const tokens = m.all_language_tokens!.split(',').map(Number);
    const codes = m.all_language_codes!.split(',');
    if (tokens.length !== codes.length || tokens.some((t) => !Number.isInteger(t)))
      throw new Error(`${model.encoder}: its all_language_tokens and all_language_codes do not match`);
    const ort = await import('onnxruntime-node');
    const options: Ort.InferenceSession.SessionOptions = { intraOpNumThreads: Math.max(1, threads), interOpNumThreads: 1 };
    const encoder = await ort.InferenceSession.create(model.encoder, options);
    const decoder = await ort.InferenceSession.create(model.decoder, options).catch(async (err: unknown) => {
      await encoder.release();
      throw err;
    });
    return new WhisperLanguageId(ort, encoder, decoder, {
      nMels: Number(m.n_mels),
      sot: Number(m.sot),
      layers: Number(m.n_text_layer),
      ctx: Number(m.n_text_ctx),
      state: Number(m.n_text_state),
      tokens,
      codes,
    });
  }

  /** Every language's probability for `samples` (16 kHz, -1..1; only the first 30 s count), most probable first. */
  async identify(samples: Float32Array): Promise<LanguageScore[]> {
    const { ort, meta } = this;
    const window = samples.subarray(0, WINDOW_SECONDS * SAMPLE_RATE);
    const mel = whisperLogMel(window, meta.nMels, WINDOW_FRAMES);
    const enc = await this.encoder.run({ [this.encoder.inputNames[0]!]: new ort.Tensor('float32', mel.data, [1, meta.nMels, mel.frames]) });
    const [crossK, crossV] = this.encoder.outputNames.map((n) => enc[n]!);
    const cache = () =>
      new ort.Tensor('float32', new Float32Array(meta.layers * meta.ctx * meta.state), [meta.layers, 1, meta.ctx, meta.state]);
    // The decoder's inputs by position, as sherpa-onnx's test.py feeds them: tokens, self k/v caches, cross k/v, offset.
    const feeds = [
      new ort.Tensor('int64', BigInt64Array.of(BigInt(meta.sot)), [1, 1]),
      cache(),
      cache(),
      crossK!,
      crossV!,
      new ort.Tensor('int64', BigInt64Array.of(0n), [1]),
    ];
    const dec = await this.decoder.run(Object.fromEntries(this.decoder.inputNames.map((n, i) => [n, feeds[i]!])));
    const logits = dec[this.decoder.outputNames[0]!]!.data as Float32Array;
    const vocab = logits.length; // [1, 1, vocab]: one token in
    const values = meta.tokens.map((t) => {
      if (t >= vocab) throw new Error(`language token ${t} is outside the decoder's vocabulary of ${vocab}`);
      return logits[t]!;
    });
    const max = Math.max(...values);
    const exp = values.map((v) => Math.exp(v - max));
    const sum = exp.reduce((a, b) => a + b, 0);
    return meta.codes.map((code, i) => ({ code, probability: exp[i]! / sum })).sort((a, b) => b.probability - a.probability);
  }

  async close(): Promise<void> {
    await Promise.all([this.encoder.release(), this.decoder.release()]);
  }
}
