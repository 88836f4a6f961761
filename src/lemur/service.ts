import path from 'node:path';
import type { Config, ModelAlias } from '../config.js';
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
  private readonly aliases: readonly ModelAlias[];

  private constructor(
    config: Config,
    readonly backend: LlmBackend | null,
    /** Why there is no backend, with how to configure one. */
    private readonly missing: string | null,
  ) {
    this.limiter = new RateLimiter(config.llmRateLimit);
    this.aliases = config.llmModelAliases;
  }

  static async fromConfig(config: Config, log: Logger): Promise<Llm> {
    if (config.llmUrl) {
      const names =
        config.llmRemoteModels
          ?.split(',')
          .map((s) => s.trim())
          .filter(Boolean) ?? null;
      const backend = new OpenAiBackend({
        baseUrl: config.llmUrl,
        apiKey: config.llmApiKey,
        models: names?.length ? names : null,
        contextTokens: config.llmContextTokens,
        timeoutMs: config.llmTimeoutMs,
      });
      log.info({ url: config.llmUrl, models: names }, 'LLM: OpenAI-compatible server');
      return new Llm(config, backend, null);
    }
    if (!config.llmModel)
      return new Llm(
        config,
        null,
        `No LLM is configured on this Earshot server (EARSHOT_LLM_MODEL is empty and EARSHOT_LLM_URL is unset). ${HOW_TO}`,
      );
    const modelPath = await findModel(config.dataDir, config.llmModel);
    if (!modelPath) {
      const what = catalogueEntry(config.llmModel)
        ? `the model "${config.llmModel}" (EARSHOT_LLM_MODEL) is not installed`
        : `the model "${config.llmModel}" (EARSHOT_LLM_MODEL) is neither an installed catalogue model nor a .gguf file`;
      log.info({ model: config.llmModel }, 'LLM: none (LeMUR and the LLM Gateway answer 503)');
      return new Llm(config, null, `No LLM is configured on this Earshot server: ${what}. ${HOW_TO}`);
    }
    const name = catalogueEntry(config.llmModel) ? config.llmModel : path.basename(modelPath).replace(/\.gguf$/i, '');
    return new Llm(
      config,
      new EmbeddedBackend({
        modelPath,
        name,
        contextTokens: config.llmContextTokens,
        threads: config.llmThreads,
        timeoutMs: config.llmTimeoutMs,
        log,
      }),
      null,
    );
  }

  /** Why no LLM can answer on this server, with how to configure one; null when one is configured. */
  get unavailableReason(): string | null {
    return this.backend ? null : this.missing;
  }

  /** The backend, or a 503 that says how to configure one. */
  require(): LlmBackend {
    if (!this.backend) throw errors.llmUnavailable(this.missing!);
    return this.backend;
  }

  /**
   * The model a LeMUR request names (`final_model`): unset, "default" and the upstream LeMUR names
   * are the first model. Anything else is a 400 listing the choices.
   */
  async resolveLemurModel(requested: string | undefined): Promise<ModelInfo> {
    const models = await this.require().models().catch(rethrowLlmError);
    const found = models.find((m) => m.name === requested);
    if (found) return found;
    if (requested === undefined || UPSTREAM_LEMUR_MODELS.includes(requested)) return models[0]!;
    throw errors.unknownModel(
      'final_model',
      requested,
      models.map((m) => m.name),
      UPSTREAM_LEMUR_MODELS,
    );
  }

  /**
   * The model an LLM Gateway request names: a local model's name, "default", or an id that
   * EARSHOT_LLM_MODEL_ALIASES maps (exact ids before prefixes, longer prefixes first). Anything else is a 400.
   */
  async resolveGatewayModel(requested: string): Promise<ModelInfo> {
    const models = await this.require().models().catch(rethrowLlmError);
    const found = models.find((m) => m.name === requested);
    if (found) return found;
    if (requested === 'default') return models[0]!;
    const matches = (a: ModelAlias) => (a.pattern.endsWith('*') ? requested.startsWith(a.pattern.slice(0, -1)) : a.pattern === requested);
    const rank = (a: ModelAlias) => (a.pattern.endsWith('*') ? a.pattern.length : Infinity);
    const alias = this.aliases.filter(matches).sort((a, b) => rank(b) - rank(a))[0];
    if (!alias)
      throw errors.unknownModel(
        'model',
        requested,
        models.map((m) => m.name),
        ['default', ...this.aliases.map((a) => a.pattern)],
      );
    if (alias.model === null) return models[0]!;
    const target = models.find((m) => m.name === alias.model);
    if (!target) {
      throw errors.llmUnavailable(
        `EARSHOT_LLM_MODEL_ALIASES maps "${alias.pattern}" to "${alias.model}", which this server does not have. Available: ${models.map((m) => m.name).join(', ')}`,
      );
    }
    return target;
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

/**
 * Backend failures as HTTP answers: 503 when it cannot run, 502 when a remote server failed, 504 past the time limit,
 * 400 when the request cannot work.
 */
export function rethrowLlmError(err: unknown): never {
  if (err instanceof LlmError) {
    if (err.kind === 'unavailable') throw errors.llmUnavailable(err.message);
    if (err.kind === 'upstream') throw errors.llmUpstream(err.message);
    if (err.kind === 'timeout') throw errors.llmTimeout(err.message);
    throw errors.invalidParam(err.message);
  }
  throw err;
}
