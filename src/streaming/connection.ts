import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { AppContext } from '../context.js';
import { findSpeakerEmbeddingModel } from '../engines/diarization-models.js';
import type { LanguageIdModel } from '../engines/language-id.js';
import { findLanguageIdModel } from '../engines/language-id-models.js';
import { Authenticator } from '../http/auth.js';
import { redeemStreamingToken, restoreStreamingToken } from '../storage/streaming-tokens.js';
import { StreamAudioConverter } from './audio.js';
import { MAX_CHUNK_MS, MIN_CHUNK_MS, SessionClose, type ClientAction, type SessionParams, type StreamingProtocol } from './protocol.js';
import { LiveSession } from './session.js';
import { SpeakerTracker } from './speaker-tracker.js';
import { deliverSessionWebhook } from './webhook.js';

/** A temporary token in the query or, as the Python SDK sends it, in the Authorization header. */
async function authorize(ctx: AppContext, request: FastifyRequest, query: Record<string, string | undefined>, protocol: StreamingProtocol) {
  const header = Authenticator.keyFrom(request.headers.authorization);
  if (header) {
    const projectId = await ctx.auth.projectFor(header);
    if (projectId) return { projectId, maxSessionSeconds: ctx.config.streamingMaxSessionSeconds, token: null };
    const grant = await redeemStreamingToken(ctx.db, header);
    if (grant) return { ...grant, token: header };
    throw protocol.close('unauthorized', 'Invalid API key or temporary token');
  }
  if (query.token) {
    const grant = await redeemStreamingToken(ctx.db, query.token);
    if (grant) return { ...grant, token: query.token };
    throw protocol.close('unauthorized', 'Invalid, expired or already used temporary token');
  }
  throw protocol.close('unauthorized', 'Missing Authorization header');
}

/** WebSocket close reasons are limited to 123 bytes. */
const reasonText = (s: string) => (Buffer.byteLength(s) <= 123 ? s : `${Buffer.from(s).subarray(0, 120).toString()}…`);

/** Runs one live session on an accepted WebSocket, from authentication to close. */
export function runConnection(ctx: AppContext, socket: WebSocket, request: FastifyRequest, protocol: StreamingProtocol): void {
  const hub = ctx.streaming;
  const query = request.query as Record<string, string | undefined>;
  const sessionId = randomUUID();
  const log = ctx.log.child({ session: sessionId, protocol: protocol.name });
  const startedAt = Date.now();
  const sent: object[] = [];
  let session: LiveSession | null = null;
  let params: SessionParams | null = null;
  /** No more input is taken (terminated, failed or gone). */
  let ended = false;
  /** No more output either: set on failure; a normal terminate still sends what queued audio produces. */
  let silenced = false;
  const timers: NodeJS.Timeout[] = [];
  let idleTimer: NodeJS.Timeout | null = null;
  let firstAudioAt = 0;
  let shortChunks = 0;
  // Frames that arrive while we authenticate are kept, in order, until the session exists.
  const early: { data: Buffer; binary: boolean }[] = [];
  let handle: ((data: Buffer, binary: boolean) => void) | null = null;

  const send = (msg: object) => {
    if (socket.readyState !== socket.OPEN) return;
    sent.push(msg);
    socket.send(JSON.stringify(msg));
  };

  const cleanup = () => {
    if (ended) return false;
    ended = true;
    for (const t of timers) clearTimeout(t);
    if (idleTimer) clearTimeout(idleTimer);
    hub.release(sessionId);
    return true;
  };

  const fail = (close: SessionClose) => {
    if (!cleanup()) return;
    silenced = true;
    log.info({ code: close.code, reason: close.message }, 'streaming session closed with an error');
    send(protocol.errorMessage(close));
    socket.close(close.code, reasonText(close.message));
    void session?.abandon();
    if (params && session) void deliverSessionWebhook(ctx, sessionId, params, sent);
  };

  /** Normal end: the last turn, then Termination (v3) / SessionInformation + SessionTerminated (v2). */
  const terminate = async () => {
    if (ended || !session || !params) return;
    const s = session;
    const p = params;
    if (!cleanup()) return;
    try {
      await s.finish();
    } catch (err) {
      log.error({ err }, 'final decode failed');
    }
    for (const m of protocol.termination(s.audioMs, Date.now() - startedAt, p)) send(m);
    socket.close(1000, 'Session terminated');
    log.info({ audioMs: Math.round(s.audioMs) }, 'streaming session ended');
    void deliverSessionWebhook(ctx, sessionId, p, sent);
  };

  const armIdle = () => {
    if (idleTimer) clearTimeout(idleTimer);
    const ms = params?.inactivityMs ?? ctx.config.streamingIdleSeconds * 1000;
    idleTimer = setTimeout(() => {
      if (protocol.idleEndsNormally) void terminate();
      else fail(protocol.close('idle'));
    }, ms);
  };

  const onAudio = (data: Buffer, converter: StreamAudioConverter) => {
    const ms = converter.durationMs(data.length);
    if (ms > MAX_CHUNK_MS) throw protocol.close('chunkTooLong', `received ${Math.round(ms)} ms`);
    // One short chunk is tolerated (the tail of a stream); a run of them is a client bug.
    shortChunks = ms < MIN_CHUNK_MS ? shortChunks + 1 : 0;
    if (shortChunks >= 2) throw protocol.close('chunkTooShort', `received ${ms.toFixed(1)} ms`);
    const now = Date.now();
    firstAudioAt ||= now;
    armIdle();
    void session!.audio(data).catch((err) => {
      log.error({ err }, 'decoding failed');
      fail(protocol.close('serverError'));
    });
    if (!ctx.config.streamingAllowFast && session!.audioMs - (now - firstAudioAt) > ctx.config.streamingPaceToleranceMs) {
      throw protocol.close('tooFast');
    }
  };

  const onAction = (action: ClientAction, converter: StreamAudioConverter) => {
    switch (action.kind) {
      case 'audio':
        return onAudio(action.data, converter);
      case 'terminate':
        return void terminate();
      case 'forceEndpoint':
        return void session!.forceEndpoint();
      case 'configure':
        session!.settings = { ...session!.settings, ...action.turn };
        return;
      case 'keepAlive':
        return armIdle();
    }
  };

  socket.on('message', (data: Buffer, binary: boolean) => {
    if (ended) return;
    if (handle) handle(data, binary);
    else early.push({ data, binary });
  });
  socket.on('close', () => {
    if (cleanup()) {
      void session?.abandon();
      log.info('streaming client disconnected');
    }
  });
  socket.on('error', (err) => log.warn({ err }, 'streaming socket error'));

  void (async () => {
    try {
      params = protocol.parseParams(query);
      let embeddingModel: string | null = null;
      if (params.speakers) {
        const found = await findSpeakerEmbeddingModel(ctx.config);
        if ('missing' in found) throw protocol.close('badParams', found.missing);
        embeddingModel = found.path;
      }
      let languageIdModel: LanguageIdModel | null = null;
      if (params.languageDetection) {
        const found = await findLanguageIdModel(ctx.config);
        if ('missing' in found) throw protocol.close('badParams', found.missing);
        languageIdModel = found;
      }
      const grant = await authorize(ctx, request, query, protocol);
      const max = ctx.config.streamingMaxSessions;
      if (!(await hub.claim(sessionId, grant.projectId, max))) {
        // Refused before it began: a temporary token stays good for a retry.
        if (grant.token) await restoreStreamingToken(ctx.db, grant.token);
        throw protocol.close('tooMany', `limit is ${max} across the fleet`);
      }
      if (ended) return hub.release(sessionId); // the client left while we were authenticating
      const converter = new StreamAudioConverter(params.encoding, params.sampleRate);
      session = new LiveSession(
        hub.pool.open({ embeddingModel, languageIdModel }),
        hub.openVad(params.turn.vad_threshold),
        converter,
        params.turn,
        {
          formatTurns: params.formatTurns,
          partials: params.partials,
          filterProfanity: params.filterProfanity,
          speakers: params.speakers && new SpeakerTracker(params.speakers.maxSpeakers, ctx.config.streamingSpeakerThreshold),
        },
        (update) => {
          if (!silenced) for (const m of protocol.turn(update)) send(m);
        },
      );
      const maxMs = Math.min(grant.maxSessionSeconds, ctx.config.streamingMaxSessionSeconds) * 1000;
      send(protocol.begin(sessionId, new Date(startedAt + maxMs)));
      log.info({ project: grant.projectId, sampleRate: params.sampleRate, encoding: params.encoding }, 'streaming session started');
      timers.push(setTimeout(() => fail(protocol.close('tooLong')), maxMs));
      armIdle();
      handle = (data, binary) => {
        try {
          if (binary) onAudio(data, converter);
          else onAction(protocol.parseMessage(data.toString('utf8')), converter);
        } catch (err) {
          if (err instanceof SessionClose) fail(err);
          else {
            log.error({ err }, 'streaming message failed');
            fail(protocol.close('serverError'));
          }
        }
      };
      for (const m of early.splice(0)) handle(m.data, m.binary);
    } catch (err) {
      if (err instanceof SessionClose) fail(err);
      else {
        log.error({ err }, 'streaming session setup failed');
        fail(protocol.close('serverError'));
      }
    }
  })();
}
