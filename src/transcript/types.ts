import type { TranscriptParams } from './params.js';

export type TranscriptStatus = 'queued' | 'processing' | 'completed' | 'error';

/** AssemblyAI's `TranscriptWord`. Times in ms. */
export interface TranscriptWord {
  text: string;
  start: number;
  end: number;
  confidence: number;
  speaker: string | null;
  channel?: string;
}

/** What a finished job stores. */
export interface TranscriptResult {
  text: string;
  words: TranscriptWord[];
  confidence: number | null;
  /** Seconds, as upstream. */
  audio_duration: number;
  speech_model_used: string;
  language_code: string | null;
  /** Multichannel only: the number of channels transcribed. */
  audio_channels?: number;
}

export interface TranscriptRow {
  id: string;
  project_id: string;
  status: TranscriptStatus;
  audio_url: string;
  upload_id: string | null;
  params: TranscriptParams;
  result: TranscriptResult | null;
  error: string | null;
  webhook_status_code: number | null;
  created_at: Date;
  completed_at: Date | null;
  deleted_at: Date | null;
  attempt: number;
}
