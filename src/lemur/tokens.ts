import type { ChatMessage } from './backend.js';

/**
 * Remote OpenAI-compatible servers have no standard tokenizer endpoint, so their token counts are
 * estimated before sending. BPE tokenizers give about 4 characters of English per token; counting
 * one per 3 UTF-8 bytes over-estimates on purpose, so long input is split rather than cut off.
 */
export const BYTES_PER_TOKEN_ESTIMATE = 3;

export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / BYTES_PER_TOKEN_ESTIMATE);
}

/** Chat templates add a few tokens of role markers around each message. */
const TEMPLATE_TOKENS_PER_MESSAGE = 8;

export function estimatePromptTokens(messages: ChatMessage[]): number {
  return messages.reduce((n, m) => n + estimateTokens(m.content) + TEMPLATE_TOKENS_PER_MESSAGE, TEMPLATE_TOKENS_PER_MESSAGE);
}
