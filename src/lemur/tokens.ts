import type { ChatMessage } from './backend.js';

/**
 * Remote OpenAI-compatible servers have no standard tokenizer endpoint, so their token counts are
 * estimated before sending, on the high side so that long input is split rather than refused.
 * Small-vocabulary tokenizers (Llama 2's 32k) spend a token on every digit and punctuation mark
 * and split words into pieces of a few letters, so transcript lines full of timestamps and ids
 * run at under 2 bytes a token: a bytes-per-token rule under-counts them. Counted here: a token
 * per digit, punctuation mark, symbol and extra space, per 3 letters of a word, per 2 bytes of
 * other scripts and per byte of 4-byte characters (emoji), plus a tenth for what the rules miss.
 */
const PIECES = /[A-Za-z]+|[0-9]| +|[\u0000-\u007f]|[^\u0000-\u007f]/gu;
const MARGIN = 1.1;

export function estimateTokens(text: string): number {
  let n = 0;
  for (const [piece] of text.matchAll(PIECES)) {
    const c = piece.charCodeAt(0);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) n += Math.ceil(piece.length / 3);
    else if (c === 32)
      n += piece.length - 1; // one space joins the next word
    else if (c > 0x7f) {
      const bytes = Buffer.byteLength(piece, 'utf8');
      n += bytes >= 4 ? bytes : bytes / 2;
    } else n += 1;
  }
  return Math.ceil(n * MARGIN);
}

/** Chat templates add a few tokens of role markers around each message. */
const TEMPLATE_TOKENS_PER_MESSAGE = 8;

export function estimatePromptTokens(messages: ChatMessage[]): number {
  return messages.reduce((n, m) => n + estimateTokens(m.content) + TEMPLATE_TOKENS_PER_MESSAGE, TEMPLATE_TOKENS_PER_MESSAGE);
}
