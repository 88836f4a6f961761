import type { SherpaModel } from './sherpa-models.js';

/**
 * Which engine this server runs, decided once at start-up from the config and the models present.
 * It is plain data so it can be posted to the worker threads that build the engine itself.
 */
export interface EngineChoice {
  name: 'pocketsphinx' | 'whisper' | 'sherpa';
  /** Reported as the transcript's `speech_model_used`. */
  model: string;
  modelPath?: string;
  /** The sherpa-onnx model's files and family. */
  sherpa?: SherpaModel;
  /** AssemblyAI language codes this engine accepts, or 'all'. */
  languages: string[] | 'all';
}
