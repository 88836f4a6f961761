import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { redactAudio } from '../audio/redact.js';
import type { AppContext } from '../context.js';
import { RedactedAudioStore } from '../storage/redacted-audio.js';
import { type LlmFeature, llmFeaturesOf, type TranscriptParams } from '../transcript/params.js';
import type { TranscriptResult } from '../transcript/types.js';
import { autoChapters } from '../lemur/chapters.js';
import { contentSafety } from '../lemur/content-safety.js';
import { Session } from '../lemur/map-reduce.js';
import { type Section, toSections } from '../lemur/sections.js';
import { summarize } from '../lemur/summarization.js';
import { detectTopics } from '../lemur/topics.js';
import { understand } from '../understanding/index.js';

/** A speech-understanding feature on the LLM could not run: the transcript ends in error with this text. */
export class LlmFeatureError extends Error {
  override name = 'LlmFeatureError';
}

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
  const { result: understood, redactedSpans } = understand(result, p);
  // On the redacted words: no PII reaches the LLM, wherever it runs.
  const out = { ...understood, ...(await runOnLlm(ctx, understood, p, signal)) };
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

/** summarization, auto_chapters, content_safety and iab_categories, on the configured LLM at temperature 0 (the same answer every run). */
async function runOnLlm(
  ctx: AppContext,
  r: TranscriptResult,
  p: TranscriptParams,
  signal: AbortSignal,
): Promise<Partial<TranscriptResult>> {
  const wanted = llmFeaturesOf(p);
  if (wanted.length === 0) return {};
  const backend = ctx.llm.backend;
  if (!backend) throw new LlmFeatureError(`This transcript asks for features that run on the LLM. ${ctx.llm.unavailableReason}`);
  const models = await backend.models().catch((err: unknown) => {
    throw new LlmFeatureError(`The LLM could not be reached: ${(err as Error).message}`);
  });
  const session = new Session(backend, models[0]!, 0, signal);
  // content_safety and iab_categories label the same sections.
  let sections: Section[] | null = null;
  const sectionsOf = () => (sections ??= toSections(r.words));
  const run: Record<LlmFeature, () => Promise<Partial<TranscriptResult>>> = {
    summarization: async () => ({
      summary: await summarize(session, r.words, r.audio_duration, p.summary_model!, p.summary_type!),
    }),
    auto_chapters: async () => ({ chapters: await autoChapters(session, r.words, r.audio_duration) }),
    content_safety: async () => ({ content_safety_labels: await contentSafety(session, sectionsOf(), p.content_safety_confidence / 100) }),
    iab_categories: async () => ({ iab_categories_result: await detectTopics(session, sectionsOf()) }),
  };
  const out: Partial<TranscriptResult> = {};
  for (const name of wanted) {
    const part = await run[name]().catch((err: unknown) => {
      if (signal.aborted) throw err;
      throw new LlmFeatureError(`${name} failed: ${(err as Error).message}`);
    });
    Object.assign(out, part);
  }
  return out;
}
