import { errors } from '../http/errors.js';
import type { ChatMessage } from './backend.js';
import type { Llm } from './service.js';

/** Upstream's caps on the dictation config (SDK 4.41 `services/dictation`). */
export const MAX_LLM_INSTRUCTION_CHARS = 2048;
/** Longest rewrite asked for: a 120 s dictation is some 400 tokens, a note made of it rarely five times that. */
const MAX_REWRITE_TOKENS = 2048;

/** Upstream's default pass, without `llm_instruction`: disfluencies out, every other word as spoken. */
export const DEFAULT_DICTATION_INSTRUCTION =
  'Clean up this dictation: remove filler words, false starts and repetitions, resolve self-corrections to what the speaker settled on, ' +
  'and add punctuation and capitalization. Keep every other word exactly as spoken.';

export interface DictationOptions {
  /** `llm_instruction`; unset: the default cleanup. */
  instruction?: string;
  /** `stt_prompt`: what the audio is about. */
  context?: string;
  /** `keyterms_prompt`: names and terms to spell as given. */
  keyterms: string[];
}

export function dictationMessages(text: string, o: DictationOptions): ChatMessage[] {
  const lines = [];
  if (o.context) lines.push(`What the dictation is about: ${o.context}`);
  if (o.keyterms.length) lines.push(`These names and terms may occur; spell them exactly like this: ${o.keyterms.join(', ')}`);
  lines.push(`<transcript>\n${text}\n</transcript>`, '', o.instruction ?? DEFAULT_DICTATION_INSTRUCTION);
  return [
    {
      role: 'system',
      content: 'You rewrite transcripts of dictated speech. Answer with the rewritten text only, without preamble, comments or quotes.',
    },
    { role: 'user', content: lines.join('\n') },
  ];
}

/**
 * The dictation's LLM pass on the default model. A model that fails or cannot fit the transcript
 * leaves the transcript standing: `llm_response` null and `llm_error` saying why, as upstream.
 */
export async function rewriteDictation(
  llm: Llm,
  text: string,
  o: DictationOptions,
  signal: AbortSignal,
): Promise<{ llm_response: string | null; llm_error: string | null }> {
  if (text.trim() === '') return { llm_response: '', llm_error: null };
  const backend = llm.require();
  try {
    const model = await llm.resolveLemurModel(undefined);
    const messages = dictationMessages(text, o);
    const promptTokens = await backend.countPromptTokens(model.name, messages);
    const maxTokens = Math.min(MAX_REWRITE_TOKENS, model.contextTokens - promptTokens);
    if (maxTokens < 1) {
      return {
        llm_response: null,
        llm_error: `The transcript and instruction take ${promptTokens} tokens, more than the ${model.contextTokens}-token context of model ${model.name}`,
      };
    }
    const result = await backend.chat({ model: model.name, messages, maxTokens, temperature: 0, signal });
    return { llm_response: result.text.trim(), llm_error: null };
  } catch (err) {
    if (signal.aborted) throw errors.clientClosed();
    return { llm_response: null, llm_error: (err as Error).message };
  }
}
