import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { redactAudio } from '../audio/redact.js';
import type { AppContext } from '../context.js';
import { RedactedAudioStore } from '../storage/redacted-audio.js';
import type { TranscriptParams } from '../transcript/params.js';
import type { TranscriptResult } from '../transcript/types.js';
import { understand } from '../understanding/index.js';

/**
 * Applies redact_pii, entity_detection and redact_pii_audio to a finished result while its audio is
 * still on local disk, before anything is stored: the result that reaches the database is already redacted.
 */
export async function applyUnderstanding(
  ctx: AppContext,
  transcriptId: string,
  result: TranscriptResult,
  p: TranscriptParams,
  audioFile: string,
  signal: AbortSignal,
): Promise<TranscriptResult> {
  const { result: out, redactedSpans } = understand(result, p);
  if (!p.redact_pii_audio) return out;
  // Upstream makes no redacted file of audio without speech unless asked to.
  if (result.words.length === 0 && !p.redact_pii_audio_options?.return_redacted_no_speech_audio) return { ...out, redacted_audio: null };
  const format = p.redact_pii_audio_quality === 'wav' ? 'wav' : 'mp3';
  const method = p.redact_pii_audio_options?.override_audio_redaction_method === 'silence' ? 'silence' : 'beep';
  // Beside the audio would be inside the upload store when the upload is read in place.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'earshot-redacted-'));
  try {
    const file = path.join(dir, `${transcriptId}.${format}`);
    await redactAudio(audioFile, file, { spans: redactedSpans, method, format, signal });
    await new RedactedAudioStore(ctx.uploads.blobs).put(transcriptId, format, createReadStream(file));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { ...out, redacted_audio: { format, token: randomBytes(24).toString('base64url') } };
}
