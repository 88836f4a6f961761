import type { SpeakerCount } from '../engines/diarization.js';
import type { DiarizationModels } from '../engines/diarization-models.js';
import type { EngineChoice } from '../engines/choice.js';
import type { LanguageIdModel, LanguageScore } from '../engines/language-id.js';
import type { FormatOptions } from '../text/format.js';
import type { TranscriptWord } from '../transcript/types.js';

/** What the job pipeline asks a worker thread to do: decode one file and transcribe it. */
export interface EngineTask {
  audioPath: string;
  startMs: number | null;
  endMs: number | null;
  /** Multichannel: the one input channel to transcribe (0 = first); null or absent mixes the file down to mono. */
  channel?: number | null;
  languageCode: string | null;
  /** `speech_threshold`: measure how much of the audio is speech (the job compares); the VAD model, null for the energy detector. */
  speechThreshold?: { value: number; vadModel: string | null } | null;
  format: Omit<FormatOptions, 'enginePunctuated'>;
  /** `speaker_labels`: label the words with the speakers these models find. */
  diarization?: { models: DiarizationModels; count: SpeakerCount } | null;
}

export interface EngineTaskResult {
  words: TranscriptWord[];
  text: string;
  confidence: number | null;
  /** Decoded (after trimming) audio length. */
  durationMs: number;
  /** Share of the audio that is speech, 0..1, when `speechThreshold` asked for it. */
  speechFraction: number | null;
}

/** `language_detection`: which language the audio (mixed down to mono, trimmed as the transcription will be) is in. */
export interface LanguageIdTask {
  audioPath: string;
  startMs: number | null;
  endMs: number | null;
  model: LanguageIdModel;
}

export type ToWorker =
  | { type: 'init'; engine: EngineChoice; threads: number }
  | { type: 'run'; taskId: number; task: EngineTask }
  | { type: 'identify'; taskId: number; task: LanguageIdTask }
  | { type: 'abort'; taskId: number }
  /** Let the thread end on its own once native callbacks still queued have run. */
  | { type: 'close' };

export type FromWorker =
  | { type: 'progress'; taskId: number; audioMs: number }
  | { type: 'done'; taskId: number; result: EngineTaskResult | LanguageScore[] }
  /** `audio` errors are the input's fault and go to the user as the transcript's `error`; `code` is a system error's (ENOENT). */
  | { type: 'failed'; taskId: number; message: string; audio: boolean; stack?: string; code?: string };
