import path from 'node:path';
import type { Config } from '../config.js';
import { errors } from '../http/errors.js';
import type { Logger } from '../log.js';
import { catalogueEntry } from '../models/catalogue.js';
import { findModel } from '../models/store.js';
import { LlmError, type LlmBackend, type ModelInfo } from './backend.js';
import { EmbeddedBackend } from './embedded.js';
import { OpenAiBackend } from './openai.js';
import { RateLimiter } from './rate-limit.js';

/**
 * `final_model` values of upstream LeMUR (openapi 2025-01 and 2025-10, SDK 4.36.7). Apps send them
 * hard-coded, so each selects the default local model rather than failing.
 */
export const UPSTREAM_LEMUR_MODELS = [
  'default',
  'basic',
  'assemblyai/mistral-7b',
  'anthropic/claude-sonnet-4-20250514',
  'anthropic/claude-opus-4-20250514',
  'anthropic/claude-3-7-sonnet-20250219',
  'anthropic/claude-3-5-sonnet',
  'anthropic/claude-3-5-haiku-20241022',
  'anthropic/claude-3-opus',
  'anthropic/claude-3-haiku',
  'anthropic/claude-3-sonnet',
  'anthropic/claude-2-1',
  'anthropic/claude-2',
];

const HOW_TO =
  'Install a model for the embedded llama.cpp backend with `earshot models pull qwen2.5-1.5b-instruct` (then restart; EARSHOT_LLM_MODEL picks the catalogue model or a .gguf file), ' +
  'or use an OpenAI-compatible server by setting EARSHOT_LLM_URL, e.g. EARSHOT_LLM_URL=http://127.0.0.1:11434/v1 EARSHOT_LLM_REMOTE_MODELS=llama3.2 for Ollama.';

export interface LlmStatus {
  backend: 'embedded' | 'openai' | 'none';
  /** Model file or server URL. */
  location: string | null;
  state: 'ready' | 'loading' | 'unavailable';
  models: ModelInfo[];
  /** Why it is unavailable, and how to fix that. */
  message: string | null;
}

/** The LLM behind LeMUR and the LLM Gateway, chosen once at start-up from the config. */
export class Llm {
  /** Per project, across LeMUR and the gateway and across the HTTP and HTTPS listeners. */
  readonly limiter: RateLimiter;

  private constructor(
    config: Config,
    readonly backend: LlmBackend | null,
    /** Why there is no backend, with how to configure one. */
    private readonly missing: string | null,
  ) {
    this.limiter = new RateLimiter(config.llmRateLimit);
  }

  static async fromConfig(config: Config, log: Logger): Promise<Llm> {
    if (config.llmUrl) {
      const names = config.llmRemoteModels?.split(',').map((s) => s.trim()).filter(Boolean) ?? null;
      const backend = new OpenAiBackend({ baseUrl: config.llmUrl, apiKey: config.llmApiKey, models: names?.length ? names : null, contextTokens: config.llmContextTokens, timeoutMs: config.llmTimeoutMs });
      log.info({ url: config.llmUrl, models: names }, 'LLM: OpenAI-compatible server');
      return new Llm(config, backend, null);
    }
    if (!config.llmModel) return new Llm(config, null, `No LLM is configured on this Earshot server (EARSHOT_LLM_MODEL is empty and EARSHOT_LLM_URL is unset). ${HOW_TO}`);
    const modelPath = await findModel(config.dataDir, config.llmModel);
    if (!modelPath) {
      const what = catalogueEntry(config.llmModel) ? `the model "${config.llmModel}" (EARSHOT_LLM_MODEL) is not installed` : `the model "${config.llmModel}" (EARSHOT_LLM_MODEL) is neither an installed catalogue model nor a .gguf file`;
      log.info({ model: config.llmModel }, 'LLM: none (LeMUR and the LLM Gateway answer 503)');
      return new Llm(config, null, `No LLM is configured on this Earshot server: ${what}. ${HOW_TO}`);
    }
    const name = catalogueEntry(config.llmModel) ? config.llmModel : path.basename(modelPath).replace(/\.gguf$/i, '');
    return new Llm(config, new EmbeddedBackend({ modelPath, name, contextTokens: config.llmContextTokens, threads: config.llmThreads, log }), null);
  }

  /** The backend, or a 503 that says how to configure one. */
  require(): LlmBackend {
    if (!this.backend) throw errors.llmUnavailable(this.missing!);
    return this.backend;
  }

  /**
   * The model a request names (`final_model` / `model`): unset and "default" are the first model,
   * and with `upstreamAliases` so are the upstream LeMUR names. Anything else is a 400 listing the choices.
   */
  async resolveModel(param: string, requested: string | undefined, upstreamAliases: boolean): Promise<ModelInfo> {
    const models = await this.require().models().catch(rethrowLlmError);
    const found = models.find((m) => m.name === requested);
    if (found) return found;
    if (requested === undefined || requested === 'default' || (upstreamAliases && UPSTREAM_LEMUR_MODELS.includes(requested))) return models[0]!;
    throw errors.unknownModel(param, requested, models.map((m) => m.name), upstreamAliases ? UPSTREAM_LEMUR_MODELS : ['default']);
  }

  /** For the status page: what runs, and if it cannot answer, why. */
  async status(): Promise<LlmStatus> {
    if (!this.backend) return { backend: 'none', location: null, state: 'unavailable', models: [], message: this.missing };
    const { kind, location } = this.backend;
    if (this.backend.loading) return { backend: kind, location, state: 'loading', models: [], message: null };
    try {
      return { backend: kind, location, state: 'ready', models: await this.backend.models(), message: null };
    } catch (err) {
      return { backend: kind, location, state: 'unavailable', models: [], message: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    await this.backend?.close();
  }
}

/** Backend failures as HTTP answers: 503 when it cannot run, 502 when a remote server failed, 400 when the request cannot work. */
export function rethrowLlmError(err: unknown): never {
  if (err instanceof LlmError) {
    if (err.kind === 'unavailable') throw errors.llmUnavailable(err.message);
    if (err.kind === 'upstream') throw errors.llmUpstream(err.message);
    throw errors.invalidParam(err.message);
  }
  throw err;
}
