import { LlmError, type ChatMessage, type ChatRequest, type ChatResult, type LlmBackend, type ModelInfo } from './backend.js';
import { estimatePromptTokens, estimateTokens } from './tokens.js';

export interface OpenAiOptions {
  /** e.g. http://127.0.0.1:11434/v1 (Ollama); `/chat/completions` and `/models` are appended. */
  baseUrl: string;
  apiKey: string | null;
  /** Names clients may pick, default first; null: whatever the server's `GET /models` lists. */
  models: string[] | null;
  /** 0: the context the server reports for the model, else DEFAULT_CONTEXT_TOKENS. */
  contextTokens: number;
  timeoutMs: number;
}

/** Upstream LeMUR's input limit, used when neither the config nor the server tells the context size. */
export const DEFAULT_CONTEXT_TOKENS = 100_000;

interface RemoteModel {
  id: string;
  /** vLLM says max_model_len; Earshot's own gateway and some others say context_length. */
  max_model_len?: number;
  context_length?: number;
}

interface Completion {
  /** A failure told inside a stream, once the headers were already sent. */
  error?: { message?: string } | string;
  choices?: { message?: { content?: string | null }; delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; input_tokens?: number; output_tokens?: number };
}

/** The error text of an OpenAI-style (`{error: {message}}`) or AssemblyAI-style (`{error: "..."}`) body. */
function errorText(body: string): string {
  try {
    const json = JSON.parse(body) as { error?: string | { message?: string } };
    if (typeof json.error === 'string') return json.error;
    if (json.error?.message) return json.error.message;
  } catch {
    // not JSON: the text itself
  }
  return body.slice(0, 500) || '(empty body)';
}

/** Any server speaking OpenAI's chat completions API: Ollama, vLLM, llama.cpp's server, OpenAI, another Earshot. */
export class OpenAiBackend implements LlmBackend {
  readonly kind = 'openai' as const;
  readonly location: string;
  readonly loading = false;
  private readonly baseUrl: string;
  private listing: Promise<RemoteModel[]> | null = null;

  constructor(private readonly options: OpenAiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.location = this.baseUrl;
  }

  private headers(): Record<string, string> {
    return { 'content-type': 'application/json', ...(this.options.apiKey && { authorization: `Bearer ${this.options.apiKey}` }) };
  }

  private async fetch(path: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const url = `${this.baseUrl}${path}`;
    let res: Response;
    try {
      res = await fetch(url, { ...init, headers: this.headers(), signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted)
        throw new LlmError(
          `The LLM server at ${url} gave no answer within ${this.options.timeoutMs} ms (EARSHOT_LLM_TIMEOUT_MS)`,
          'timeout',
        );
      const reason = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      throw new LlmError(`The LLM server at ${url} could not be reached: ${reason}`, 'upstream');
    }
    if (!res.ok) throw new LlmError(`The LLM server at ${url} answered ${res.status}: ${errorText(await res.text())}`, 'upstream');
    return res;
  }

  /** `GET /models`, once; a failure is retried on the next call. */
  private remoteModels(): Promise<RemoteModel[]> {
    this.listing ??= (async () => {
      const res = await this.fetch('/models', { method: 'GET' });
      const body = (await res.json()) as { data?: RemoteModel[] };
      return Array.isArray(body.data) ? body.data.filter((m) => typeof m.id === 'string') : [];
    })();
    this.listing.catch(() => (this.listing = null));
    return this.listing;
  }

  async models(): Promise<ModelInfo[]> {
    const listed = await this.remoteModels().catch((err: unknown) => {
      // With the names configured, a server without `/models` is fine.
      if (this.options.models) return [] as RemoteModel[];
      throw err;
    });
    const names = this.options.models ?? listed.map((m) => m.id);
    if (names.length === 0)
      throw new LlmError(`The LLM server at ${this.baseUrl} lists no models; name them in EARSHOT_LLM_REMOTE_MODELS`, 'unavailable');
    return names.map((name) => {
      const remote = listed.find((m) => m.id === name);
      const reported = remote?.context_length ?? remote?.max_model_len;
      return { name, contextTokens: this.options.contextTokens || reported || DEFAULT_CONTEXT_TOKENS };
    });
  }

  async countPromptTokens(_model: string, messages: ChatMessage[]): Promise<number> {
    return estimatePromptTokens(messages);
  }

  async countTokens(_model: string, texts: string[]): Promise<number[]> {
    return texts.map(estimateTokens);
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    const stream = Boolean(request.onText);
    const body = {
      model: request.model,
      messages: request.messages,
      max_tokens: request.maxTokens,
      temperature: request.temperature,
      ...(stream && { stream: true, stream_options: { include_usage: true } }),
      ...(request.jsonSchema && {
        response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: request.jsonSchema, strict: true } },
      }),
    };
    const res = await this.fetch('/chat/completions', { method: 'POST', body: JSON.stringify(body) }, request.signal);
    const parts: Completion[] = stream ? await this.readEvents(res, request.onText!) : [(await res.json()) as Completion];
    let text = '';
    let finish: string | null | undefined;
    let usage: Completion['usage'];
    for (const part of parts) {
      const choice = part.choices?.[0];
      text += choice?.message?.content ?? choice?.delta?.content ?? '';
      finish = choice?.finish_reason ?? finish;
      usage = part.usage ?? usage;
    }
    // Servers that report no usage get the same estimate used for the limits.
    return {
      text,
      inputTokens: usage?.prompt_tokens ?? usage?.input_tokens ?? estimatePromptTokens(request.messages),
      outputTokens: usage?.completion_tokens ?? usage?.output_tokens ?? estimateTokens(text),
      finishReason: finish === 'length' ? 'length' : 'stop',
    };
  }

  /** Server-sent events: `data: {chunk}` lines until `data: [DONE]`; text is passed on as it comes. */
  private async readEvents(res: Response, onText: (text: string) => void): Promise<Completion[]> {
    const chunks: Completion[] = [];
    const decoder = new TextDecoder();
    let buffered = '';
    const take = (line: string) => {
      const data = line.startsWith('data:') ? line.slice(5).trim() : '';
      if (!data || data === '[DONE]') return;
      const chunk = JSON.parse(data) as Completion;
      if (chunk.error)
        throw new LlmError(
          `The LLM server at ${this.baseUrl} failed while streaming: ${typeof chunk.error === 'string' ? chunk.error : chunk.error.message}`,
          'upstream',
        );
      chunks.push(chunk);
      const piece = chunk.choices?.[0]?.delta?.content;
      if (piece) onText(piece);
    };
    for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(bytes, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        take(buffered.slice(0, nl).replace(/\r$/, ''));
        buffered = buffered.slice(nl + 1);
      }
    }
    take(buffered);
    return chunks;
  }

  async close(): Promise<void> {
    // Nothing held open: each request is its own fetch.
  }
}
