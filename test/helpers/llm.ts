import { fileURLToPath } from 'node:url';

/**
 * A tiny llama GGUF with random weights (../shared/models/llm): it loads in node-llama-cpp and
 * generates gibberish quickly, so LLM tests check shapes, token numbers, limits and errors, not wisdom.
 */
export const TINY_MODEL = fileURLToPath(new URL('../../../shared/models/llm/llama-2-tiny-random.gguf', import.meta.url));
/** Its name as Earshot reports it (the file name without .gguf). */
export const TINY_MODEL_NAME = 'llama-2-tiny-random';

/**
 * Server settings for the tiny model. One thread: llama.cpp's spinning threads crawl when another
 * process holds the other core of a 2-core machine.
 */
export function tinyLlmEnv(contextTokens = 1024): Record<string, string> {
  return { EARSHOT_LLM_MODEL: TINY_MODEL, EARSHOT_LLM_THREADS: '1', EARSHOT_LLM_CONTEXT_TOKENS: String(contextTokens) };
}
