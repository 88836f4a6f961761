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

/** AssemblyAI's `Entity` (entity detection). Times in ms. */
export interface TranscriptEntity {
  entity_type: string;
  text: string;
  start: number;
  end: number;
}

/** AssemblyAI's `SentimentAnalysisResult`: one sentence. Times in ms. */
export interface SentimentResult {
  text: string;
  start: number;
  end: number;
  sentiment: 'POSITIVE' | 'NEUTRAL' | 'NEGATIVE';
  confidence: number;
  speaker: string | null;
  channel?: string;
}

/** AssemblyAI's `AutoHighlightsResult` (key phrases). Times in ms. */
export interface AutoHighlightsResult {
  status: 'success';
  results: { count: number; rank: number; text: string; timestamps: { start: number; end: number }[] }[];
}

/** A redacted copy of the audio in the blob store; `token` opens its URL without a key (the SDK fetches it without one). */
export interface RedactedAudioInfo {
  format: 'mp3' | 'wav';
  token: string;
}

/** AssemblyAI's `Chapter` (auto_chapters). Times in ms. */
export interface TranscriptChapter {
  gist: string;
  headline: string;
  summary: string;
  start: number;
  end: number;
}

interface Timestamp {
  start: number;
  end: number;
}

/** AssemblyAI's `ContentSafetyLabelsResult` (content_safety). */
export interface ContentSafetyResult {
  status: 'success' | 'unavailable';
  results: {
    text: string;
    labels: { label: string; confidence: number; severity: number }[];
    sentences_idx_start: number;
    sentences_idx_end: number;
    timestamp: Timestamp;
  }[];
  summary: Record<string, number>;
  severity_score_summary: Record<string, { low: number; medium: number; high: number }>;
}

/** AssemblyAI's `TopicDetectionModelResult` (iab_categories). */
export interface TopicsResult {
  status: 'success' | 'unavailable';
  results: { text: string; labels: { relevance: number; label: string }[]; timestamp: Timestamp }[];
  summary: Record<string, number>;
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
  /** `language_detection`: the detected language's confidence, 0..1. */
  language_confidence?: number;
  /** Multichannel only: the number of channels transcribed. */
  audio_channels?: number;
  /** entity_detection's findings; absent when not asked for. */
  entities?: TranscriptEntity[];
  /** sentiment_analysis's sentences; absent when not asked for. */
  sentiment_analysis_results?: SentimentResult[];
  /** auto_highlights's key phrases; absent when not asked for. */
  auto_highlights_result?: AutoHighlightsResult;
  /** summarization's summary; absent when not asked for. */
  summary?: string;
  /** auto_chapters's chapters; absent when not asked for. */
  chapters?: TranscriptChapter[];
  /** content_safety's labels; absent when not asked for. */
  content_safety_labels?: ContentSafetyResult;
  /** iab_categories's topics; absent when not asked for. */
  iab_categories_result?: TopicsResult;
  /** redact_pii_audio's file; null when the audio had no speech (and no-speech audio was not asked for). */
  redacted_audio?: RedactedAudioInfo | null;
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
