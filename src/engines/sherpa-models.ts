import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { catalogueEntry } from '../models/catalogue.js';
import { findModel } from '../models/store.js';

/**
 * sherpa-onnx model families and the recognizer configs they need, written as sherpa-onnx's own Node
 * examples (k2-fsa/sherpa-onnx nodejs-addon-examples/test_asr_*.js) write them, so a real model
 * unpacked from its release archive loads unchanged. A model is plain data (file paths) so it can be
 * posted to the worker threads that load it.
 */
export type SherpaFamily =
  /** Streaming zipformer transducer (`OnlineRecognizer`, test_asr_streaming_transducer.js). */
  | 'online-transducer'
  /** Streaming T-one CTC, 8 kHz (`OnlineRecognizer` `toneCtc`, test_asr_streaming_t_one_ctc.js). */
  | 'online-tone-ctc'
  /** NeMo transducers such as Parakeet TDT (test_asr_non_streaming_nemo_parakeet_tdt_v2.js). */
  | 'offline-nemo-transducer'
  /** Offline zipformer transducers (test_asr_non_streaming_transducer.js). */
  | 'offline-transducer'
  /** NeMo CTC (test_asr_non_streaming_nemo_ctc.js). */
  | 'offline-nemo-ctc'
  | 'offline-moonshine'
  | 'offline-whisper'
  | 'offline-sense-voice';

export interface SherpaModel {
  family: SherpaFamily;
  /** Reported as `speech_model_used`, e.g. "sherpa-parakeet-tdt-0.6b-v2-int8". */
  name: string;
  /** The model's files by role (encoder, decoder, joiner, model, preprocessor, …) and `tokens`. */
  files: Record<string, string>;
  /** The `modelType` sherpa-onnx's example sets for it, if any. */
  modelType?: string;
  /** AssemblyAI language codes it transcribes, or 'all'. */
  languages: string[] | 'all';
}

export const ONLINE_FAMILIES: readonly SherpaFamily[] = ['online-transducer', 'online-tone-ctc'];

/** Endpoint rules of sherpa-onnx's streaming microphone examples: trailing silence (s) with no text, after text, and utterance length. */
export const ENDPOINT_RULES = { rule1MinTrailingSilence: 2.4, rule2MinTrailingSilence: 1.2, rule3MinUtteranceLength: 20 };

/** The `modelConfig` for `new OnlineRecognizer` / `OfflineRecognizer`, as the examples build it. */
export function modelConfig(model: SherpaModel, threads: number, languageCode?: string | null): Record<string, unknown> {
  const f = model.files;
  const common = { tokens: f.tokens, numThreads: Math.max(1, threads), provider: 'cpu', debug: 0 };
  switch (model.family) {
    case 'online-transducer':
    case 'offline-transducer':
    case 'offline-nemo-transducer':
      return {
        transducer: { encoder: f.encoder, decoder: f.decoder, joiner: f.joiner },
        ...common,
        ...(model.modelType ? { modelType: model.modelType } : {}),
      };
    case 'online-tone-ctc':
      return { toneCtc: { model: f.model }, ...common };
    case 'offline-nemo-ctc':
      return { nemoCtc: { model: f.model }, ...common };
    case 'offline-moonshine':
      return {
        moonshine: { preprocessor: f.preprocessor, encoder: f.encoder, uncachedDecoder: f.uncachedDecoder, cachedDecoder: f.cachedDecoder },
        ...common,
      };
    case 'offline-whisper':
      return {
        whisper: { encoder: f.encoder, decoder: f.decoder, language: sherpaLanguage(languageCode) ?? '', task: 'transcribe' },
        ...common,
      };
    case 'offline-sense-voice':
      return {
        senseVoice: { model: f.model, language: sherpaLanguage(languageCode) ?? 'auto', useInverseTextNormalization: 1 },
        ...common,
      };
  }
}

/** AssemblyAI language code → the two-letter code whisper and SenseVoice take (`en_us` → `en`); none: detect. */
export function sherpaLanguage(code: string | null | undefined): string | null {
  return code ? code.toLowerCase().split(/[_-]/)[0]! : null;
}

/** The sample rate the family's feature extractor runs at (audio is resampled by sherpa-onnx). */
export function featureSampleRate(family: SherpaFamily): number {
  return family === 'online-tone-ctc' ? 8000 : 16_000;
}

const ENGLISH = ['en', 'en_us', 'en_uk', 'en_au', 'en_ca', 'en_in', 'en_nz'];

/** The first file of `names` matching `re`, preferring an int8 quantisation as the examples do. */
function pick(names: string[], re: RegExp): string | undefined {
  const hits = names.filter((n) => re.test(n)).sort();
  return hits.find((n) => n.includes('int8')) ?? hits[0];
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Reads a model from an unpacked release directory (or, for single-file models, an .onnx file with
 * `<stem>-tokens.txt` or `tokens.txt` beside it), telling the family from the file names the release
 * archives use. `online` says which recognizer it is for. Null when the files are not there.
 */
export async function detectSherpaModel(
  location: string,
  online: boolean,
  name: string,
  singleFile: (file: string) => Promise<SherpaFamily>,
): Promise<SherpaModel | null> {
  const p = path.resolve(location);
  const dir = (await isDir(p)) ? p : path.dirname(p);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return null;
  }
  const at = (n: string | undefined) => (n ? path.join(dir, n) : undefined);
  const stem = p === dir ? null : path.basename(p, '.onnx');
  const tokens = at(names.find((n) => n === `${stem}-tokens.txt`) ?? pick(names, /(^|-)tokens\.txt$/));
  if (!tokens) return null;
  const base = path.basename(dir).toLowerCase();
  const en = /(^|[-_.])en([-_.]|$)/.test(base) || base.includes('parakeet-tdt-0.6b-v2') ? ENGLISH : 'all';
  if (p === dir) {
    const encoder = at(pick(names, /encoder.*\.onnx$/));
    const decoder = at(pick(names, /decoder.*\.onnx$/));
    const joiner = at(pick(names, /joiner.*\.onnx$/));
    if (encoder && decoder && joiner) {
      const nemo = /nemo|parakeet/.test(base);
      const family: SherpaFamily = online ? 'online-transducer' : nemo ? 'offline-nemo-transducer' : 'offline-transducer';
      return {
        family,
        name,
        files: { encoder, decoder, joiner, tokens },
        modelType: nemo && !online ? 'nemo_transducer' : undefined,
        languages: en,
      };
    }
    const mPre = at(pick(names, /^preprocess.*\.onnx$/));
    const mEnc = at(pick(names, /^encode.*\.onnx$/));
    const mUnc = at(pick(names, /^uncached_decode.*\.onnx$/));
    const mCac = at(pick(names, /^cached_decode.*\.onnx$/));
    if (!online && mPre && mEnc && mUnc && mCac) {
      return {
        family: 'offline-moonshine',
        name,
        files: { preprocessor: mPre, encoder: mEnc, uncachedDecoder: mUnc, cachedDecoder: mCac, tokens },
        languages: ENGLISH,
      };
    }
    if (!online && encoder && decoder)
      return { family: 'offline-whisper', name, files: { encoder, decoder, tokens }, languages: base.endsWith('.en') ? ENGLISH : 'all' };
  }
  const model = p === dir ? at(pick(names, /^model.*\.onnx$/)) : p;
  if (!model) return null;
  const family = await singleFile(model);
  if (ONLINE_FAMILIES.includes(family) !== online) return null;
  return { family, name, files: { model, tokens }, languages: family === 'offline-sense-voice' ? 'all' : en };
}

/**
 * A single-file model's family, from its graph inputs (read with onnxruntime-node, already loaded for
 * Silero): T-one takes `signal` + `state`, NeMo CTC `audio_signal` + `length`, SenseVoice `x` + `language`.
 */
export async function familyOfFile(file: string): Promise<SherpaFamily> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(file);
  const inputs = new Set(session.inputNames);
  await session.release();
  if (inputs.has('signal') && inputs.has('state')) return 'online-tone-ctc';
  if (inputs.has('audio_signal')) return 'offline-nemo-ctc';
  if (inputs.has('x') && inputs.has('language')) return 'offline-sense-voice';
  throw new Error(`${file}: not a model family Earshot knows (inputs ${[...inputs].join(', ')})`);
}

/** The name `speech_model_used` reports for a model given by path: `sherpa-` and its directory's or file's name. */
export function sherpaModelName(location: string): string {
  const base = path.basename(path.resolve(location)).replace(/\.onnx$/, '');
  return `sherpa-${base.replace(/^sherpa-onnx-/, '')}`;
}

/**
 * The model `name` selects: a catalogue model installed under `<dataDir>/models` (named `sherpa-<name>`), or a
 * path (an unpacked release directory or an .onnx file). Null when it is not installed.
 */
export async function resolveSherpaModel(dataDir: string, name: string, online: boolean): Promise<SherpaModel | null> {
  const entry = catalogueEntry(name);
  if (!entry) return detectSherpaModel(name, online, sherpaModelName(name), familyOfFile);
  if (entry.kind !== (online ? 'sherpa-streaming' : 'sherpa'))
    throw new Error(
      `"${name}" is not a sherpa-onnx ${online ? 'streaming' : 'offline'} model of the catalogue (see \`earshot models list\`)`,
    );
  const dir = await findModel(dataDir, name);
  const model = dir ? await detectSherpaModel(dir, online, `sherpa-${name}`, familyOfFile) : null;
  return model && { ...model, modelType: entry.modelType ?? model.modelType, languages: entry.languages === 'en' ? ENGLISH : 'all' };
}
