import type { Config } from '../config.js';
import type { TranscriptRow } from './types.js';

/** Upstream's `RedactedAudioResponse`. */
export interface RedactedAudioResponse {
  status: 'redacted_audio_ready';
  redacted_audio_url: string;
}

/**
 * Where a transcript's redacted audio is served, with the token that opens it without an API key (the
 * Node SDK's `redactedAudioFile` fetches the URL bare, as upstream's is a pre-signed S3 URL); null when
 * there is none (not asked for, no speech, not finished, deleted).
 */
export function redactedAudioResponse(baseUrl: string, row: TranscriptRow): RedactedAudioResponse | null {
  const audio = row.status === 'completed' && !row.deleted_at ? row.result?.redacted_audio : null;
  if (!audio) return null;
  return {
    status: 'redacted_audio_ready',
    redacted_audio_url: `${baseUrl}/v2/transcript/${row.id}/redacted-audio/${row.id}.${audio.format}?token=${audio.token}`,
  };
}

/** A worker's base URL for links it sends (webhooks), having no request to take a host from: EARSHOT_PUBLIC_URL, else the listen address. */
export const serverBaseUrl = (config: Pick<Config, 'publicUrl' | 'host' | 'port'>) =>
  (config.publicUrl ?? `http://${config.host}:${config.port}`).replace(/\/+$/, '');
