import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { errors } from '../http/errors.js';
import { createStreamingToken } from '../storage/streaming-tokens.js';
import { runConnection } from '../streaming/connection.js';
import { PACE_HEADER } from '../streaming/protocol.js';
import { v2 } from '../streaming/v2.js';
import { v3 } from '../streaming/v3.js';
import { API_ROUTES } from '../http/api-routes.js';

/** Largest frame a client may send: 1 s of 48 kHz 16-bit audio, with room for base64 JSON (v2 `audio_data`). */
const MAX_FRAME_BYTES = 256 * 1024;

function intParam(raw: unknown, name: string, range: [number, number], fallback?: number): number {
  if ((raw === undefined || raw === '') && fallback !== undefined) return fallback;
  const n = Number(raw);
  if (raw === undefined || raw === '' || !Number.isInteger(n) || n < range[0] || n > range[1]) {
    throw errors.invalidParam(`${name} must be an integer between ${range[0]} and ${range[1]}`);
  }
  return n;
}

/**
 * Live transcription: Universal Streaming v3 (`/v3/ws`, tokens from `GET /v3/token`) and the
 * legacy v2 realtime protocol (`/v2/realtime/ws`, tokens from `POST /v2/realtime/token`).
 * WebSocket routes authenticate themselves: a failure is a close code, not an HTTP 401.
 */
export function streamingRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    await app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES } });
    const tolerance = ctx.config.streamingAllowFast ? 'unlimited' : String(ctx.config.streamingPaceToleranceMs);
    app.websocketServer.on('headers', (headers: string[]) => headers.push(`${PACE_HEADER}: ${tolerance}`));

    app.get(API_ROUTES.v3Socket.path, { websocket: true, config: { public: true } }, (socket, request) =>
      runConnection(ctx, socket, request, v3),
    );
    app.get(API_ROUTES.v2Socket.path, { websocket: true, config: { public: true } }, (socket, request) =>
      runConnection(ctx, socket, request, v2),
    );

    app.get<{ Querystring: Record<string, string | undefined> }>(API_ROUTES.v3Token.path, async (request) => {
      const expires = intParam(request.query.expires_in_seconds, 'expires_in_seconds', [1, 600]);
      const maxSession = intParam(request.query.max_session_duration_seconds, 'max_session_duration_seconds', [60, 10_800], 10_800);
      const token = await createStreamingToken(ctx.db, request.projectId, { expiresInSeconds: expires, maxSessionSeconds: maxSession });
      return { token, expires_in_seconds: expires };
    });

    app.post<{ Body: Record<string, unknown> | undefined }>(API_ROUTES.v2Token.path, async (request) => {
      const expires = intParam(request.body?.expires_in, 'expires_in', [60, 360_000]);
      const token = await createStreamingToken(ctx.db, request.projectId, {
        expiresInSeconds: expires,
        maxSessionSeconds: ctx.config.streamingMaxSessionSeconds,
      });
      return { token };
    });
  };
}
