import { toUtterances } from '../text/segments.js';
import type { TranscriptRow } from './types.js';

/** Upstream prints naive UTC timestamps with microseconds, e.g. "2024-03-08T08:47:58.813286". */
export function upstreamTimestamp(d: Date): string {
  return d.toISOString().replace('Z', '000');
}

const DELETED = 'http://deleted_by_user';

/**
 * The full `Transcript` object as AssemblyAI returns it: every field present, features
 * Earshot does not run reported as off, results null until the job completes.
 */
export function transcriptJson(row: TranscriptRow): Record<string, unknown> {
  const p = row.params;
  const r = row.result;
  const deleted = row.deleted_at !== null;
  const done = row.status === 'completed' && r !== null && !deleted;
  return {
    id: row.id,
    status: row.status,
    audio_url: deleted ? DELETED : row.audio_url,
    text: deleted ? 'Deleted by user.' : done ? r.text : null,
    words: done ? r.words : null,
    utterances: done && (p.multichannel === true || p.speaker_labels === true) ? toUtterances(r.words) : null,
    confidence: done ? r.confidence : null,
    audio_duration: deleted ? null : r ? r.audio_duration : null,
    // Upstream: "only present when multichannel is enabled".
    ...(r?.audio_channels !== undefined && !deleted ? { audio_channels: r.audio_channels } : {}),
    punctuate: deleted ? null : p.punctuate,
    format_text: deleted ? null : p.format_text,
    disfluencies: deleted ? null : p.disfluencies,
    filter_profanity: deleted ? null : p.filter_profanity,
    multichannel: deleted ? null : p.multichannel === true,
    speech_models: deleted ? null : p.speech_models,
    speech_model_used: r?.speech_model_used,
    speech_model: p.speech_model,
    language_code: deleted ? undefined : (r?.language_code ?? p.language_code ?? undefined),
    language_codes: p.language_codes,
    language_detection: deleted ? null : p.language_detection === true,
    language_confidence_threshold: deleted ? null : p.language_confidence_threshold,
    language_confidence: deleted ? null : (r?.language_confidence ?? null),
    ...(p.language_detection_options && !deleted
      ? {
          language_detection_options: {
            expected_languages: p.language_detection_options.expected_languages ?? ['all'],
            fallback_language: p.language_detection_options.fallback_language,
          },
        }
      : {}),
    audio_start_from: deleted ? null : p.audio_start_from,
    audio_end_at: deleted ? null : p.audio_end_at,
    custom_spelling: deleted ? null : p.custom_spelling,
    keyterms_prompt: p.keyterms_prompt,
    prompt: p.prompt ?? undefined,
    temperature: p.temperature,
    remove_audio_tags: p.remove_audio_tags,
    speaker_labels: deleted ? null : p.speaker_labels === true,
    speakers_expected: p.speakers_expected,
    speech_threshold: p.speech_threshold,
    webhook_url: deleted ? DELETED : p.webhook_url,
    webhook_auth: p.webhook_auth_header_name !== null,
    webhook_auth_header_name: p.webhook_auth_header_name,
    webhook_status_code: row.webhook_status_code,
    auto_highlights: p.auto_highlights ?? false,
    auto_highlights_result: done ? (r.auto_highlights_result ?? null) : null,
    redact_pii: p.redact_pii ?? false,
    redact_pii_audio: deleted ? null : (p.redact_pii_audio ?? false),
    redact_pii_audio_options: p.redact_pii_audio_options ?? undefined,
    redact_pii_audio_quality: p.redact_pii_audio_quality,
    redact_pii_policies: p.redact_pii_policies,
    redact_pii_sub: p.redact_pii_sub ?? undefined,
    content_safety: deleted ? null : p.content_safety === true,
    content_safety_labels: done ? (r.content_safety_labels ?? null) : null,
    iab_categories: deleted ? null : p.iab_categories === true,
    iab_categories_result: done ? (r.iab_categories_result ?? null) : null,
    sentiment_analysis: deleted ? null : (p.sentiment_analysis ?? false),
    sentiment_analysis_results: done ? (r.sentiment_analysis_results ?? null) : null,
    entity_detection: deleted ? null : (p.entity_detection ?? false),
    entities: done ? (r.entities ?? null) : null,
    auto_chapters: deleted ? null : p.auto_chapters === true,
    chapters: done ? (r.chapters ?? null) : null,
    summarization: p.summarization === true,
    summary: done ? (r.summary ?? null) : null,
    summary_type: p.summary_type,
    summary_model: p.summary_model,
    custom_topics: deleted ? null : false,
    topics: [],
    speed_boost: deleted ? null : false,
    throttled: null,
    language_model: 'assemblyai_default',
    acoustic_model: 'assemblyai_default',
    ...(row.status === 'error' && !deleted ? { error: row.error ?? 'Transcription failed' } : {}),
  };
}

export function listItemJson(
  row: Pick<TranscriptRow, 'id' | 'status' | 'created_at' | 'completed_at' | 'audio_url' | 'error' | 'deleted_at'>,
  baseUrl: string,
) {
  return {
    id: row.id,
    resource_url: `${baseUrl}/v2/transcript/${row.id}`,
    status: row.status,
    created: upstreamTimestamp(row.created_at),
    completed: row.completed_at ? upstreamTimestamp(row.completed_at) : null,
    audio_url: row.deleted_at ? DELETED : row.audio_url,
    error: row.status === 'error' ? row.error : null,
  };
}
