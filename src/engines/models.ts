import path from 'node:path';
import { catalogue } from '../models/catalogue.js';
import type { EngineChoice } from './choice.js';

/**
 * `speech_models` / `speech_model` mapped onto this server's engines. Upstream's names (current, deprecated
 * and the SDKs' enums) each ask for the best model this server runs; this server's own names (what
 * `speech_model_used` reports) ask for that model. The list is in priority order: the first name this
 * server has runs. A name this server does not know at all is refused, never ignored.
 */
export const UPSTREAM_SPEECH_MODELS = ['universal-3-pro', 'universal-2', 'universal', 'slam-1', 'best', 'nano'];

export const POCKETSPHINX_MODEL = 'pocketsphinx-en-us';

/** This server's own speech model names: pocketsphinx, and every whisper and sherpa-onnx batch model of the catalogue. */
export function ownSpeechModels(): string[] {
  return [
    POCKETSPHINX_MODEL,
    ...catalogue().flatMap((e) => (e.kind === 'whisper' ? [`whisper-${e.name}`] : e.kind === 'sherpa' ? [`sherpa-${e.name}`] : [])),
  ];
}

/** The name `speech_model_used` reports for a whisper model given by catalogue name or by path (never the path). */
export function whisperModelName(model: string): string {
  if (!model.includes('/') && !model.endsWith('.bin')) return `whisper-${model}`;
  return `whisper-${path
    .basename(model)
    .replace(/^ggml-/, '')
    .replace(/\.bin$/, '')}`;
}

/** The names a request may give on this server, the running engine's own first. */
export function availableSpeechModels(engine: EngineChoice): string[] {
  return [engine.model, ...UPSTREAM_SPEECH_MODELS];
}

/** The model a request's `speech_models` (or deprecated `speech_model`) selects, or the 400 message refusing it. */
export function resolveSpeechModel(
  requested: { speech_models: string[] | null; speech_model: string | null },
  engine: EngineChoice,
): { model: string } | { error: string } {
  const names = requested.speech_models ?? (requested.speech_model !== null ? [requested.speech_model] : []);
  if (!names.length) return { model: engine.model };
  const available = availableSpeechModels(engine);
  const known = new Set([...available, ...ownSpeechModels()]);
  const unknown = names.filter((n) => !known.has(n));
  const listing = `Available models: ${available.join(', ')}.`;
  if (unknown.length) return { error: `Invalid speech model${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. ${listing}` };
  if (!names.some((n) => available.includes(n)))
    return { error: `None of the requested speech models is available on this server: ${names.join(', ')}. ${listing}` };
  return { model: engine.model };
}
