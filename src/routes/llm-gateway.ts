import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { errors } from '../http/errors.js';
import type { ChatMessage, ChatResult } from '../lemur/backend.js';
import { abortOnClose, rateLimit } from '../lemur/http.js';
import { Session } from '../lemur/map-reduce.js';
import { rethrowLlmError } from '../lemur/service.js';
import { parseUnderstandingRequest, runUnderstanding } from '../lemur/understanding.js';
import { loadTranscripts } from './lemur.js';
import { SseStream } from '../http/sse.js';
import { API_ROUTES } from '../http/api-routes.js';

/** Upstream's default `max_tokens` (llm-gateway.yml). */
const DEFAULT_MAX_TOKENS = 1000;
/** OpenAI's default, which upstream passes on to its providers. */
const DEFAULT_TEMPERATURE = 1;

interface GatewayRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens: number;
  temperature: number;
  stream: boolean;
  jsonSchema?: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Message content: a string, or text parts `[{type: "text", text}]`. */
function contentText(content: unknown, where: string): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content) && content.every((p) => isObject(p) && p.type === 'text' && typeof p.text === 'string')) {
    return content.map((p) => (p as { text: string }).text).join('');
  }
  throw errors.invalidParam(`${where}.content must be a string or an array of {"type": "text", "text": "..."} parts`);
}

/** Validates an `LLMGatewayRequest` (llm-gateway.yml); OpenAI clients send the same shape. */
function parseGatewayRequest(body: unknown): GatewayRequest {
  if (!isObject(body)) throw errors.invalidParam('Request body must be a JSON object');
  if (typeof body.model !== 'string' || body.model === '') throw errors.invalidParam('model is required: the name of the model to use');
  if (Array.isArray(body.tools) && body.tools.length > 0) throw errors.invalidParam('tools are not supported by this Earshot server');
  const hasMessages = body.messages !== undefined && body.messages !== null;
  const hasPrompt = body.prompt !== undefined && body.prompt !== null;
  if (hasMessages && hasPrompt) throw errors.invalidParam('Give either messages or prompt, not both');
  let messages: ChatMessage[];
  if (hasPrompt) {
    if (typeof body.prompt !== 'string') throw errors.invalidParam('prompt must be a string');
    messages = [{ role: 'user', content: body.prompt }];
  } else if (hasMessages) {
    if (!Array.isArray(body.messages) || body.messages.length === 0)
      throw errors.invalidParam('messages must be a non-empty array of {"role", "content"}');
    messages = body.messages.map((m, i) => {
      const where = `messages[${i}]`;
      if (!isObject(m)) throw errors.invalidParam(`${where} must be an object with role and content`);
      if (m.role === 'tool') throw errors.invalidParam(`${where}: tool messages are not supported by this Earshot server`);
      if (m.role !== 'system' && m.role !== 'user' && m.role !== 'assistant')
        throw errors.invalidParam(`${where}.role must be one of: system, user, assistant`);
      return { role: m.role, content: contentText(m.content, where) };
    });
  } else throw errors.invalidParam('messages or prompt is required');

  let maxTokens = DEFAULT_MAX_TOKENS;
  if (body.max_tokens !== undefined && body.max_tokens !== null) {
    if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1)
      throw errors.invalidParam('max_tokens must be a positive integer');
    maxTokens = body.max_tokens;
  }
  let temperature = DEFAULT_TEMPERATURE;
  if (body.temperature !== undefined && body.temperature !== null) {
    const t = body.temperature;
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > 2)
      throw errors.invalidParam('temperature must be a number between 0 and 2');
    temperature = t;
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean')
    throw errors.invalidParam('stream must be a boolean');

  let jsonSchema: Record<string, unknown> | undefined;
  const format = body.response_format;
  if (format !== undefined && format !== null) {
    if (!isObject(format)) throw errors.invalidParam('response_format must be an object');
    if (format.type === 'json_schema') {
      const config = format.json_schema;
      if (!isObject(config) || !isObject(config.schema))
        throw errors.invalidParam('response_format.json_schema.schema must be a JSON Schema object');
      jsonSchema = config.schema;
    } else if (format.type !== 'text') throw errors.invalidParam('response_format.type must be "json_schema" or "text"');
  }
  return { model: body.model, messages, maxTokens, temperature, stream: body.stream === true, jsonSchema };
}

/** Usage in both vocabularies: upstream's (input/output) and OpenAI's (prompt/completion). */
function usageOf(r: Pick<ChatResult, 'inputTokens' | 'outputTokens'>) {
  return {
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    total_tokens: r.inputTokens + r.outputTokens,
    prompt_tokens: r.inputTokens,
    completion_tokens: r.outputTokens,
  };
}

/** Server-sent events in OpenAI's chunk format, started on the first piece of text so that earlier failures are still plain HTTP errors. */
class EventStream {
  private readonly sse: SseStream;

  constructor(
    reply: FastifyReply,
    private readonly base: { id: string; object: 'chat.completion.chunk'; created: number; model: string },
  ) {
    this.sse = new SseStream(reply);
  }

  get open(): boolean {
    return this.sse.open;
  }

  /** OpenAI's stream opens with the assistant's role and no text. */
  private start(): void {
    if (!this.sse.open)
      this.sse.send({ ...this.base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
  }

  send(fields: Record<string, unknown>): void {
    this.start();
    this.sse.send({ ...this.base, ...fields });
  }

  text(piece: string): void {
    if (piece === '') return;
    this.send({ choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
  }

  end(): void {
    this.start();
    this.sse.end('[DONE]');
  }
}

/**
 * The LLM Gateway (llm-gateway.yml): OpenAI-compatible chat completions, so the `openai` npm client
 * works with `baseURL: <earshot>/v1`, with `stream: true` as server-sent events. Errors use the
 * gateway's `{"error": {"code", "message"}}` shape, which OpenAI clients read.
 */
export function llmGatewayRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.post(API_ROUTES.chatCompletions.path, { config: { nestedErrors: true } }, async (request: FastifyRequest, reply) => {
      const started = process.hrtime.bigint();
      await rateLimit(ctx.llm.limiter, ctx.db, request, reply);
      const req = parseGatewayRequest(request.body); // a malformed request gets its 400 before any 503
      const backend = ctx.llm.require();
      const model = await ctx.llm.resolveGatewayModel(req.model);
      const id = randomUUID();
      const created = Math.floor(Date.now() / 1000);
      const events = req.stream ? new EventStream(reply, { id, object: 'chat.completion.chunk', created, model: model.name }) : null;
      const chat = {
        model: model.name,
        messages: req.messages,
        maxTokens: req.maxTokens,
        temperature: req.temperature,
        jsonSchema: req.jsonSchema,
        signal: abortOnClose(reply),
      };
      let result: ChatResult;
      try {
        result = await backend.chat({ ...chat, ...(events && { onText: (t: string) => events.text(t) }) });
      } catch (err) {
        if (chat.signal.aborted && !events?.open) throw errors.clientClosed();
        if (!events?.open) return rethrowLlmError(err);
        if (chat.signal.aborted) {
          request.log.info({ code: 'CLIENT_CLOSED' }, 'LLM gateway stream stopped: the client closed the connection');
          return reply;
        }
        // Headers are gone: the failure can only be told in the stream.
        request.log.warn({ err }, 'LLM gateway stream failed');
        events.send({ error: { code: 500, message: (err as Error).message } });
        events.end();
        return reply;
      }
      const finishReason = result.finishReason;
      request.log.info(
        {
          model: model.name,
          input_tokens: result.inputTokens,
          output_tokens: result.outputTokens,
          stream: req.stream,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'LLM gateway request answered',
      );
      if (events) {
        events.send({ choices: [{ index: 0, delta: {}, finish_reason: finishReason }] });
        events.send({ request_id: id, choices: [], usage: usageOf(result) });
        events.end();
        return reply;
      }
      return {
        id,
        object: 'chat.completion',
        created,
        model: model.name,
        request_id: id,
        choices: [{ index: 0, message: { role: 'assistant', content: result.text }, finish_reason: finishReason }],
        request: { model: req.model, max_tokens: req.maxTokens, temperature: req.temperature },
        usage: usageOf(result),
        http_status_code: 200,
        response_time: Number(process.hrtime.bigint() - started),
        llm_status_code: 200,
      };
    });

    // Speech Understanding on a transcript; `/validate` checks the request (and the transcript) without running it.
    app.post('/v1/understanding/validate', { config: { nestedErrors: true } }, async (request, reply) => {
      const req = parseUnderstandingRequest(request.body);
      await loadTranscripts(ctx, request.projectId, [req.transcriptId]);
      return reply.status(204).send();
    });
    app.post('/v1/understanding', { config: { nestedErrors: true } }, async (request, reply) => {
      const started = Date.now();
      await rateLimit(ctx.llm.limiter, ctx.db, request, reply);
      const req = parseUnderstandingRequest(request.body);
      const backend = ctx.llm.require();
      const [transcript] = await loadTranscripts(ctx, request.projectId, [req.transcriptId]);
      const model = await ctx.llm.resolveGatewayModel('default');
      const signal = abortOnClose(reply);
      const session = new Session(backend, model, 0, signal);
      const body = await runUnderstanding(session, req, transcript!).catch((err: unknown) => {
        if (signal.aborted) throw errors.clientClosed();
        return rethrowLlmError(err);
      });
      request.log.info(
        { model: model.name, features: Object.keys(req.echo), ...session.usage, ms: Date.now() - started },
        'speech understanding answered',
      );
      return body;
    });

    // OpenAI's model list (`client.models.list()`); `context_length` lets another Earshot size its requests.
    app.get(API_ROUTES.models.path, { config: { nestedErrors: true } }, async () => {
      const models = await ctx.llm.require().models().catch(rethrowLlmError);
      return {
        object: 'list',
        data: models.map((m) => ({ id: m.name, object: 'model', created: 0, owned_by: 'earshot', context_length: m.contextTokens })),
      };
    });
  };
}
