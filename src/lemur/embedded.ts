import type { ChatHistoryItem, Llama, LlamaChat, LlamaContext, LlamaGrammar, LlamaModel } from 'node-llama-cpp';
import type { Logger } from '../log.js';
import { LlmError, type ChatMessage, type ChatRequest, type ChatResult, type LlmBackend, type ModelInfo } from './backend.js';

export interface EmbeddedOptions {
  modelPath: string;
  /** The name clients use for it (`final_model`, `model`). */
  name: string;
  /** 0: as much of the model's trained context as fits in memory. */
  contextTokens: number;
  /** 0: node-llama-cpp's choice (all cores). */
  threads: number;
  /** A request's time limit once it runs (EARSHOT_LLM_TIMEOUT_MS); waiting behind others does not count. */
  timeoutMs: number;
  log: Logger;
}

interface Loaded {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  chat: LlamaChat;
}

/** OpenAI roles as node-llama-cpp's chat history; an empty model turn at the end asks for the answer. */
export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m) =>
    m.role === 'assistant' ? { type: 'model', response: [m.content] } : { type: m.role, text: m.content },
  );
  history.push({ type: 'model', response: [] });
  return history;
}

/**
 * llama.cpp in this process through node-llama-cpp (prebuilt CPU binaries from npm). One context
 * sequence answers one request at a time, in arrival order; consecutive prompts that start alike
 * (several questions about one transcript) reuse the evaluated prefix.
 */
export class EmbeddedBackend implements LlmBackend {
  readonly kind = 'embedded' as const;
  readonly location: string;
  loading = true;
  private readonly ready: Promise<Loaded>;
  private queue: Promise<unknown> = Promise.resolve();
  private running = false;
  private lastTokenAt: number | null = null;

  constructor(private readonly options: EmbeddedOptions) {
    this.location = options.modelPath;
    this.ready = this.load();
    // Failures surface on use (as 503s naming the cause); this only keeps them from going unhandled.
    this.ready.then(
      () => (this.loading = false),
      () => (this.loading = false),
    );
  }

  private async load(): Promise<Loaded> {
    const started = Date.now();
    const { getLlama, LlamaChat, LlamaLogLevel } = await import('node-llama-cpp');
    const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
    try {
      const model = await llama.loadModel({ modelPath: this.options.modelPath });
      const context = await model.createContext({
        contextSize: this.options.contextTokens > 0 ? this.options.contextTokens : { max: model.trainContextSize },
        sequences: 1,
        ...(this.options.threads > 0 && { threads: this.options.threads }),
      });
      const chat = new LlamaChat({ contextSequence: context.getSequence() });
      this.options.log.info(
        {
          model: this.options.name,
          path: this.options.modelPath,
          contextTokens: context.contextSize,
          chatWrapper: chat.chatWrapper.wrapperName,
          ms: Date.now() - started,
        },
        'LLM loaded',
      );
      return { llama, model, context, chat };
    } catch (err) {
      await llama.dispose();
      throw err;
    }
  }

  /** The loaded model, or the reason it could not be loaded. */
  private async loaded(): Promise<Loaded> {
    try {
      return await this.ready;
    } catch (err) {
      throw new LlmError(`The LLM ${this.options.modelPath} could not be loaded: ${(err as Error).message}`, 'unavailable');
    }
  }

  /** Waits until the model is loaded; rejects with the reason if it cannot be. */
  async warm(): Promise<void> {
    await this.loaded();
  }

  async models(): Promise<ModelInfo[]> {
    const { context } = await this.loaded();
    return [{ name: this.options.name, contextTokens: context.contextSize }];
  }

  async countPromptTokens(_model: string, messages: ChatMessage[]): Promise<number> {
    const { chat, model } = await this.loaded();
    const { contextText } = chat.chatWrapper.generateContextState({ chatHistory: toChatHistory(messages) });
    return contextText.tokenize(model.tokenizer).length;
  }

  async countTokens(_model: string, texts: string[]): Promise<number[]> {
    const { model } = await this.loaded();
    return texts.map((t) => model.tokenize(t).length);
  }

  activity(): { running: boolean; lastTokenAt: number | null } {
    return { running: this.running, lastTokenAt: this.lastTokenAt };
  }

  chat(request: ChatRequest): Promise<ChatResult> {
    // One at a time: the single sequence is the model's working memory.
    const run = this.queue.then(async () => {
      this.running = true;
      try {
        return await this.generate(request);
      } finally {
        this.running = false;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async generate(request: ChatRequest): Promise<ChatResult> {
    request.signal?.throwIfAborted();
    const { llama, chat, context } = await this.loaded();
    const inputTokens = await this.countPromptTokens(request.model, request.messages);
    // llama.cpp would otherwise shift the context and silently drop the start of the prompt.
    if (inputTokens + request.maxTokens > context.contextSize) {
      throw new LlmError(
        `The prompt is ${inputTokens} tokens; with ${request.maxTokens} tokens for the answer that is more than the model's context of ${context.contextSize} tokens`,
        'bad-request',
      );
    }
    let grammar: LlamaGrammar | undefined;
    if (request.jsonSchema) {
      try {
        grammar = await llama.createGrammarForJsonSchema(request.jsonSchema as never);
      } catch (err) {
        throw new LlmError(`The JSON schema cannot be followed by the embedded model: ${(err as Error).message}`, 'bad-request');
      }
    }
    // Each answer from an empty context: reusing the cached start of the last prompt evaluates the rest in other
    // batches, whose rounding differs, and a greedy answer to the same request could then change from run to run.
    await chat.sequence.clearHistory();
    let outputTokens = 0;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const result = await chat
      .generateResponse(toChatHistory(request.messages), {
        maxTokens: request.maxTokens,
        temperature: request.temperature,
        ...(grammar && { grammar }),
        signal: request.signal ? AbortSignal.any([request.signal, timeout]) : timeout,
        onToken: (tokens) => {
          outputTokens += tokens.length;
          this.lastTokenAt = Date.now();
        },
        ...(request.onText && { onTextChunk: request.onText }),
      })
      .catch((err: unknown) => {
        // The one model is everyone's: a request that runs on and on holds every other LeMUR request behind it.
        if (timeout.aborted && !request.signal?.aborted)
          throw new LlmError(
            `The embedded model gave no complete answer within ${this.options.timeoutMs} ms (EARSHOT_LLM_TIMEOUT_MS)`,
            'timeout',
          );
        throw err;
      });
    return {
      text: result.response,
      inputTokens,
      outputTokens,
      finishReason: result.metadata.stopReason === 'maxTokens' ? 'length' : 'stop',
    };
  }

  async close(): Promise<void> {
    const loaded = await this.ready.catch(() => null);
    if (!loaded) return;
    // Let a running generation finish or fail before freeing its memory.
    await this.queue;
    await loaded.context.dispose();
    await loaded.model.dispose();
    await loaded.llama.dispose();
  }
}
