import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { Busboy, type BusboyHeaders } from '@fastify/busboy';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { errors } from '../http/errors.js';
import { MAX_LLM_INSTRUCTION_CHARS, rewriteDictation } from '../lemur/dictation.js';
import { abortOnClose, rateLimit } from '../lemur/http.js';
import { decodeUpload, type UploadResult } from '../streaming/upload.js';

/** The sync API's one model (SDK 4.41 `defaultSyncSpeechModel`), answered by the streaming decoders. */
const SYNC_MODELS = ['universal-3-5-pro'];
/** Upstream's caps on the config part (SDK 4.41 `services/sync`, `services/dictation`). */
const MAX_PROMPT_CHARS = 6000;
const MAX_KEYTERMS = 100;
const MAX_KEYTERMS_CHARS = 8000;
const MAX_CONFIG_BYTES = 64 * 1024;
/** An upload that sends nothing for this long is given up: a live producer stops by ending the body, not by pausing. */
const IDLE_SECONDS = 15;

type Mode = 'sync' | 'dictation';
const CONFIG_FIELDS: Record<Mode, string[]> = {
  sync: ['prompt', 'keyterms_prompt', 'conversation_context', 'language_codes', 'sample_rate', 'channels', 'timestamps'],
  dictation: ['sample_rate', 'channels', 'language_codes', 'stt_prompt', 'keyterms_prompt', 'llm_instruction'],
};

interface UploadConfig {
  sampleRate?: number;
  channels?: number;
  timestamps: boolean;
  sttPrompt?: string;
  keyterms: string[];
  llmInstruction?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function cappedString(v: unknown, name: string, max: number): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw errors.syncBadRequest(`${name} must be a string`);
  if (v.length > max) throw errors.syncBadRequest(`${name} exceeds ${max} characters (got ${v.length})`);
  return v.trim() || undefined;
}

function stringList(v: unknown, name: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw errors.syncBadRequest(`${name} must be an array of strings`);
  return v.map((s: string) => s.trim()).filter(Boolean);
}

function positiveInt(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw errors.syncBadRequest(`${name} must be a positive integer`);
  return v;
}

/** A prompt for the speech model: pocketsphinx cannot follow one, so it is refused rather than ignored. */
function refusePrompt(name: string): never {
  throw errors.syncBadRequest(
    `${name} is not supported by this Earshot server: its speech engine (pocketsphinx) cannot be prompted. Leave ${name} out`,
  );
}

/** The `config` part, checked against upstream's fields and caps; options this server cannot honour are refused by name. */
export function parseUploadConfig(raw: string, mode: Mode): UploadConfig {
  let value: unknown;
  try {
    value = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch (err) {
    throw errors.syncBadRequest(`The config part is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(value)) throw errors.syncBadRequest('The config part must be a JSON object');
  const fields = CONFIG_FIELDS[mode];
  const unknown = Object.keys(value).filter((k) => !fields.includes(k));
  if (unknown.length)
    throw errors.syncBadRequest(
      `Unknown config field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. The ${mode} config takes: ${fields.join(', ')}`,
    );

  const languages = stringList(value.language_codes, 'language_codes');
  const other = languages.find((l) => l.toLowerCase() !== 'en');
  if (other) throw errors.unsupportedLanguage(other, 'pocketsphinx', ['en']);
  const keyterms = stringList(value.keyterms_prompt, 'keyterms_prompt');
  if (keyterms.length > MAX_KEYTERMS) throw errors.syncBadRequest(`keyterms_prompt exceeds ${MAX_KEYTERMS} terms (got ${keyterms.length})`);
  const keytermChars = keyterms.reduce((n, t) => n + t.length, 0);
  if (keytermChars > MAX_KEYTERMS_CHARS)
    throw errors.syncBadRequest(`keyterms_prompt exceeds ${MAX_KEYTERMS_CHARS} characters (got ${keytermChars})`);
  if (value.timestamps !== undefined && value.timestamps !== null && typeof value.timestamps !== 'boolean')
    throw errors.syncBadRequest('timestamps must be a boolean');
  const config: UploadConfig = {
    sampleRate: positiveInt(value.sample_rate, 'sample_rate'),
    channels: positiveInt(value.channels, 'channels'),
    timestamps: value.timestamps === true,
    keyterms,
  };
  if (mode === 'sync') {
    if (cappedString(value.prompt, 'prompt', MAX_PROMPT_CHARS)) refusePrompt('prompt');
    if (keyterms.length) refusePrompt('keyterms_prompt');
    const context = value.conversation_context;
    if (typeof context === 'string' ? context.trim() : stringList(context, 'conversation_context').length)
      refusePrompt('conversation_context');
  } else {
    // Dictation honours its prompts in the LLM pass, which writes the text the user reads.
    config.sttPrompt = cappedString(value.stt_prompt, 'stt_prompt', MAX_PROMPT_CHARS);
    config.llmInstruction = cappedString(value.llm_instruction, 'llm_instruction', MAX_LLM_INSTRUCTION_CHARS);
  }
  return config;
}

/**
 * Reads a live multipart upload: the `config` part, then the `audio` part, decoded as it arrives.
 * Fails (and stops reading) on the first problem, so the answer can go out while the client is still sending.
 */
function readLiveUpload(ctx: AppContext, request: FastifyRequest, mode: Mode): Promise<{ config: UploadConfig; result: UploadResult }> {
  return new Promise((resolve, reject) => {
    const raw = request.raw;
    let config: UploadConfig | null = null;
    let audio: Readable | null = null;
    let decoding: Promise<UploadResult> | null = null;
    let settled = false;
    // A paused body is waiting for the decoder, not for the client: that is not idle.
    const onIdle = () => (raw.isPaused() ? (idle = setTimeout(onIdle, IDLE_SECONDS * 1000)) : fail(errors.syncUploadIdle(IDLE_SECONDS)));
    let idle = setTimeout(onIdle, IDLE_SECONDS * 1000);
    const onData = () => idle.refresh();
    // Decoding the rest takes as long as it takes; only a body still coming can go quiet.
    const onEnd = () => clearTimeout(idle);
    const stop = () => {
      settled = true;
      clearTimeout(idle);
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('close', onClose);
      raw.unpipe(busboy);
    };
    const fail = (err: unknown) => {
      if (settled) return;
      stop();
      audio?.destroy(); // ends the decoding loop, which frees its decoder
      reject(err);
    };
    const onClose = () => {
      if (!raw.complete) fail(errors.requestAborted());
    };
    let busboy: ReturnType<typeof Busboy>;
    try {
      busboy = Busboy({
        headers: request.headers as BusboyHeaders,
        isPartAFile: (name) => name === 'audio',
        limits: { fieldSize: MAX_CONFIG_BYTES, files: 1, parts: 2 },
      });
    } catch (err) {
      throw errors.syncBadRequest(`The body must be multipart/form-data with a boundary: ${(err as Error).message}`);
    }
    busboy.on('field', (name, value, _nameTruncated, valueTruncated) => {
      if (settled) return;
      if (name !== 'config')
        return fail(errors.syncBadRequest(`Unexpected part "${name}": the body has a "config" part, then an "audio" part`));
      if (config || decoding) return fail(errors.syncBadRequest('The body has more than one "config" part, or one after the audio'));
      if (valueTruncated) return fail(errors.syncBadRequest(`The config part is larger than ${MAX_CONFIG_BYTES} bytes`));
      try {
        config = parseUploadConfig(value, mode);
      } catch (err) {
        fail(err);
      }
    });
    busboy.on('file', (_name, stream, _filename, _encoding, mimeType) => {
      if (settled) return void stream.resume();
      if (!config) {
        stream.resume();
        return fail(errors.syncBadRequest('The "config" part must come before the "audio" part: the audio is decoded as it arrives'));
      }
      audio = stream;
      decoding = decodeUpload(ctx.streaming, stream, mimeType, { sampleRate: config.sampleRate, channels: config.channels });
      decoding.catch((err: unknown) => {
        stream.resume();
        fail(err);
      });
    });
    busboy.on('partsLimit', () => fail(errors.syncBadRequest('The body has more parts than "config" and "audio"')));
    busboy.on('filesLimit', () => fail(errors.syncBadRequest('The body has more than one "audio" part')));
    busboy.on('error', (err: Error) => fail(errors.syncBadRequest(`The multipart body is malformed: ${err.message}`)));
    busboy.on('finish', () => {
      if (settled) return;
      if (!decoding) return fail(errors.syncBadRequest('The body has no "audio" part'));
      decoding.then((result) => {
        if (settled) return;
        stop();
        resolve({ config: config!, result });
      }, fail);
    });
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('close', onClose);
    raw.pipe(busboy);
  });
}

function checkModel(header: string | string[]): void {
  const model = Array.isArray(header) ? header[0]! : header;
  if (!SYNC_MODELS.includes(model)) {
    throw errors.syncBadRequest(
      `X-AAI-Model "${model}" is not available on this Earshot server. Available: ${SYNC_MODELS.join(', ')} (answered by pocketsphinx)`,
    );
  }
}

/**
 * Sync transcription and dictation (`/v1/transcribe/live`, SDK 4.41 `client.sync` and
 * `client.dictation`): a multipart upload whose audio is decoded as it arrives, answered with the
 * finished transcript. Both products post to the same path on their own hosts; here the
 * `X-AAI-Model` header, which only the sync client sends, tells them apart.
 */
export function syncRoutes(ctx: AppContext): FastifyPluginAsync {
  async function liveUpload(request: FastifyRequest, reply: FastifyReply) {
    const started = performance.now();
    const header = request.headers['x-aai-model'];
    const mode: Mode = header === undefined ? 'dictation' : 'sync';
    if (header !== undefined) checkModel(header);
    else {
      await rateLimit(ctx.llm.limiter, ctx.db, request, reply);
      ctx.llm.require(); // no LLM: refused before any audio is read
    }
    if (!/^multipart\/form-data\b/i.test(request.headers['content-type'] ?? '')) {
      throw errors.syncBadRequest(
        'The body must be multipart/form-data: a "config" part (JSON), then an "audio" part (audio/wav or audio/pcm)',
      );
    }
    const hub = ctx.streaming;
    if (hub.active.size >= ctx.config.streamingMaxSessions) {
      reply.header('retry-after', 1);
      throw errors.syncCapacity(ctx.config.streamingMaxSessions);
    }
    const sessionId = randomUUID();
    hub.active.add(sessionId);
    let upload: { config: UploadConfig; result: UploadResult };
    try {
      upload = await readLiveUpload(ctx, request, mode);
    } finally {
      hub.active.delete(sessionId);
    }
    const { config, result } = upload;
    const syncMs = performance.now() - started;
    const text = result.words.map((w) => w.text).join(' ');
    const confidence = result.words.length ? result.words.reduce((s, w) => s + w.confidence, 0) / result.words.length : 0;
    const common = { text, confidence, audio_duration_ms: Math.round(result.audioMs), session_id: sessionId };
    request.log.info(
      { session: sessionId, mode, audioMs: Math.round(result.audioMs), words: result.words.length, ms: Math.round(syncMs) },
      'live upload transcribed',
    );
    if (mode === 'sync') {
      const words = result.words.map((w) =>
        config.timestamps
          ? { text: w.text, start: w.start, end: w.end, confidence: w.confidence }
          : { text: w.text, confidence: w.confidence },
      );
      return { ...common, words, request_time_ms: Math.round(performance.now() - started) };
    }
    const options = { instruction: config.llmInstruction, context: config.sttPrompt, keyterms: config.keyterms };
    const rewrite = await rewriteDictation(ctx.llm, text, options, abortOnClose(reply));
    return {
      ...common,
      words: result.words.map((w) => ({ text: w.text, confidence: w.confidence })),
      ...rewrite,
      request_time_ms: Math.round(performance.now() - started),
      sync_time_ms: Math.round(syncMs),
    };
  }

  return async (app) => {
    // The body is read as a stream by the route, never buffered.
    app.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null, undefined));
    app.post('/v1/transcribe/live', { config: { codedErrors: true } }, liveUpload);
    // The path the sync and dictation APIs first shipped under, still served upstream.
    app.post('/v1/transcribe/stream', { config: { codedErrors: true } }, liveUpload);
    // Opens the connection ahead of the upload; starts a decoder thread, so the first upload need not wait for the model either.
    app.get('/v1/warm', { config: { codedErrors: true } }, async (_request, reply) => {
      void ctx.streaming.pool
        .open()
        .then((d) => d.close())
        .catch((err: unknown) => ctx.log.warn({ err }, 'warm-up of a streaming decoder failed'));
      return reply.status(204).send();
    });
  };
}
