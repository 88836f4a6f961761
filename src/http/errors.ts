import { DatabaseUnavailableError } from '../db/index.js';

/**
 * Every error the API answers with, by name, with its HTTP status and upstream's text.
 * Routes throw these; `app.ts` turns them (and Fastify's own errors) into `{"error": "..."}`.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const errors = {
  unauthorized: () => new ApiError(401, 'Authentication error, API token missing/invalid', 'UNAUTHORIZED'),
  transcriptNotFound: () => new ApiError(400, 'Transcript lookup error, transcript id not found', 'TRANSCRIPT_NOT_FOUND'),
  uploadForbidden: () => new ApiError(403, 'Cannot access uploaded file', 'UPLOAD_FORBIDDEN'),
  notFound: () => new ApiError(404, 'Not found', 'NOT_FOUND'),
  badUrl: () => new ApiError(400, 'Malformed URL: the path is not validly percent-encoded', 'BAD_URL'),
  invalidJson: (detail: string) => new ApiError(400, `Invalid JSON body: ${detail}`, 'INVALID_JSON'),
  invalidParam: (message: string) => new ApiError(400, message, 'INVALID_PARAM'),
  missingAudioUrl: () => new ApiError(400, 'audio_url is required: the URL of the audio or video file to transcribe', 'MISSING_AUDIO_URL'),
  badAudioUrl: () => new ApiError(400, 'Transcript creation error, audio_url should start with http', 'BAD_AUDIO_URL'),
  unsupportedFeature: (names: string[]) =>
    new ApiError(400, `The following models are not available on this Earshot server: ${names.join(', ')}`, 'UNSUPPORTED_FEATURE'),
  unsupportedOption: (names: string[], model: string) =>
    new ApiError(
      400,
      `The following options are not supported by the speech model ${model} on this Earshot server: ${names.join(', ')}`,
      'UNSUPPORTED_OPTION',
    ),
  unsupportedLanguage: (code: string, model: string, supported: string[]) =>
    new ApiError(
      400,
      `The language ${code} is not supported by the speech model ${model}. Supported: ${supported.join(', ')}`,
      'UNSUPPORTED_LANGUAGE',
    ),
  requestAborted: () => new ApiError(400, 'The client closed the connection before the request body was complete', 'REQUEST_ABORTED'),
  emptyUpload: () => new ApiError(400, 'Upload error, the request body is empty', 'EMPTY_UPLOAD'),
  payloadTooLarge: (limit: number) => new ApiError(413, `Request body is larger than the limit of ${limit} bytes`, 'PAYLOAD_TOO_LARGE'),
  notReady: (status: string) => new ApiError(400, `Transcript is not completed (status: ${status})`, 'TRANSCRIPT_NOT_READY'),
  redactedAudioUnavailable: (why: string) =>
    new ApiError(400, `Redacted audio is not available for this transcript: ${why}`, 'REDACTED_AUDIO_UNAVAILABLE'),
  // Earshot extensions used by the web console.
  audioGone: () => new ApiError(404, 'The audio of this transcript is no longer stored on this server', 'AUDIO_GONE'),
  peaksUnavailable: () =>
    new ApiError(404, 'No waveform for this transcript: its audio is no longer stored on this server', 'PEAKS_UNAVAILABLE'),
  /** Local storage on a fleet: the bytes are on the node that took the upload (the message says so). */
  uploadNotHeld: (message: string) => new ApiError(503, message, 'UPLOAD_NOT_HELD'),
  rangeNotSatisfiable: () => new ApiError(416, 'Range not satisfiable', 'RANGE_NOT_SATISFIABLE'),
  keyNotFound: () => new ApiError(404, 'API key not found', 'KEY_NOT_FOUND'),
  keyRevokesItself: () => new ApiError(400, 'A key cannot revoke itself: use another key, or `earshot keys revoke`', 'KEY_SELF_REVOKE'),
  serverError: () => new ApiError(500, 'Server error, developers have been alerted.', 'SERVER_ERROR'),
  databaseUnavailable: () =>
    new ApiError(503, 'Service unavailable: the database cannot be reached, try again shortly', 'DATABASE_UNAVAILABLE'),
  insufficientStorage: () => new ApiError(507, 'Insufficient storage: the server is out of disk space', 'INSUFFICIENT_STORAGE'),
  // LeMUR and the LLM Gateway
  lemurTranscriptNotFound: (id: string) =>
    new ApiError(400, `Transcript lookup error, transcript id not found: ${id}`, 'TRANSCRIPT_NOT_FOUND'),
  lemurTranscriptNotReady: (id: string, status: string) =>
    new ApiError(
      400,
      `Transcript ${id} is not completed (status: ${status}); LeMUR can only use completed transcripts`,
      'TRANSCRIPT_NOT_READY',
    ),
  lemurRequestNotFound: (id: string) => new ApiError(404, `LeMUR request not found: ${id}`, 'LEMUR_REQUEST_NOT_FOUND'),
  unknownModel: (param: string, name: string, available: string[], aliases: string[]) =>
    new ApiError(
      400,
      `${param} "${name}" is not available on this Earshot server. Available: ${available.map((m, i) => (i === 0 ? `${m} (default)` : m)).join(', ')}` +
        (aliases.length ? `. These names also select the default model: ${aliases.join(', ')}` : ''),
      'UNKNOWN_MODEL',
    ),
  contextExceeded: (message: string) => new ApiError(400, message, 'CONTEXT_EXCEEDED'),
  llmUnavailable: (message: string) => new ApiError(503, message, 'LLM_UNAVAILABLE'),
  llmUpstream: (message: string) => new ApiError(502, message, 'LLM_UPSTREAM'),
  llmTimeout: (message: string) => new ApiError(504, message, 'LLM_TIMEOUT'),
  // Sync transcription and dictation (`/v1/transcribe/live`): the codes are upstream's `error_code`s.
  syncBadRequest: (message: string) => new ApiError(400, message, 'bad_request'),
  syncBadAudio: (message: string) => new ApiError(400, message, 'bad_audio'),
  syncAudioTooShort: (ms: number) => new ApiError(400, `audio duration ${ms} ms is below the minimum of 80 ms`, 'audio_too_short'),
  syncAudioTooLarge: (message: string) => new ApiError(413, message, 'audio_too_large'),
  syncUnsupportedMedia: (message: string) => new ApiError(415, message, 'unsupported_media_type'),
  syncCapacity: (limit: number) =>
    new ApiError(
      503,
      `This Earshot server is decoding as many live uploads and streaming sessions as it accepts at once (${limit}); retry shortly`,
      'capacity_exceeded',
    ),
  syncUploadIdle: (seconds: number) =>
    new ApiError(408, `No audio arrived for ${seconds} s: end the upload when the audio ends rather than pausing it`, 'upload_timeout'),
  // The status page: its refusals (StatusError) by kind, and the operator actions'.
  statusInvalid: (message: string) => new ApiError(400, message, 'STATUS_REQUEST'),
  statusNotFound: (message: string) => new ApiError(404, message, 'STATUS_REQUEST'),
  statusUnavailable: (message: string) => new ApiError(503, message, 'STATUS_REQUEST'),
  statusForbidden: (what: string) => new ApiError(403, `Only keys of the server's own project ("default") may ${what}`, 'STATUS_FORBIDDEN'),
  statusNotProbing: () => new ApiError(409, 'This server does not probe (EARSHOT_STATUS_PROBE_SECONDS=0)', 'STATUS_NOT_PROBING'),
  tooManyRequests: () => new ApiError(429, 'Too Many Requests', 'TOO_MANY_REQUESTS'),
  /** nginx's 499: nobody reads it, but the log says why the model stopped. */
  clientClosed: () => new ApiError(499, 'The client closed the connection before the answer was ready', 'CLIENT_CLOSED'),
} as const;

/** Disk full or over quota (errno), and PostgreSQL's own disk_full (SQLSTATE 53100). */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT', '53100']);

/**
 * What an unexpected failure tells the client: the database away is a 503 and a full disk a 507, states
 * to retry after, not a bug (500). Causes are followed, as wrappers keep the system error there.
 */
export function failureError(err: unknown): ApiError {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof DatabaseUnavailableError) return errors.databaseUnavailable();
    if (DISK_FULL.has((e as NodeJS.ErrnoException).code ?? '')) return errors.insufficientStorage();
  }
  return errors.serverError();
}
