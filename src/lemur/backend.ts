/**
 * What LeMUR and the LLM Gateway need from a language model, whichever runs it: the embedded
 * llama.cpp backend (`embedded.ts`) or any OpenAI-compatible server (`openai.ts`).
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens: number;
  temperature: number;
  /** Constrain the answer to JSON matching this schema (llama.cpp grammar, or `response_format` upstream). */
  jsonSchema?: Record<string, unknown>;
  /** Called with each piece of text as it is generated (streaming). */
  onText?: (text: string) => void;
  signal?: AbortSignal;
}

export interface ChatResult {
  text: string;
  /** Tokens of the whole prompt as the model saw it (chat template included). */
  inputTokens: number;
  outputTokens: number;
  finishReason: 'stop' | 'length';
}

export interface ModelInfo {
  name: string;
  /** Prompt plus answer, in tokens. */
  contextTokens: number;
}

export interface LlmBackend {
  readonly kind: 'embedded' | 'openai';
  /** Where it runs, for logs and the status page: a file path or a server URL. */
  readonly location: string;
  /** True while a model is still being loaded (requests wait for it). */
  readonly loading: boolean;
  /** The models clients may choose; the first is the default. */
  models(): Promise<ModelInfo[]>;
  /**
   * Tokens the prompt of `messages` takes in `model`, template included. Exact for the embedded
   * backend; an upper estimate for remote servers, which have no standard tokenizer endpoint.
   */
  countPromptTokens(model: string, messages: ChatMessage[]): Promise<number>;
  /** Tokens of a piece of text on its own (for splitting long input into chunks). */
  countTokens(model: string, texts: string[]): Promise<number[]>;
  chat(request: ChatRequest): Promise<ChatResult>;
  /**
   * A backend that runs one request at a time (the embedded model): whether one is running, and when it last produced a
   * token (ms since the epoch), so a health check can see the model working without queueing behind it.
   */
  activity?(): { running: boolean; lastTokenAt: number | null };
  close(): Promise<void>;
}

/** A request the backend refused, or a backend that failed: mapped to HTTP answers by the routes. */
export class LlmError extends Error {
  override name = 'LlmError';

  constructor(
    message: string,
    /**
     * `bad-request`: the request cannot work on this model (a schema it cannot follow). `upstream`: the remote server
     * failed. `timeout`: no complete answer within EARSHOT_LLM_TIMEOUT_MS.
     */
    readonly kind: 'bad-request' | 'upstream' | 'unavailable' | 'timeout',
  ) {
    super(message);
  }
}
