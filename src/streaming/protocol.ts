import type { StreamEncoding } from './audio.js';
import type { TurnSettings, TurnUpdate } from './session.js';

/** Closes a session: a WebSocket close code and reason, sent after an error message. */
export class SessionClose extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'SessionClose';
  }
}

/** What a client asked for in the connection URL, protocol-independent. */
export interface SessionParams {
  sampleRate: number;
  encoding: StreamEncoding;
  turn: TurnSettings;
  formatTurns: boolean;
  partials: boolean;
  /** Close after this much time with no audio (v3 `inactivity_timeout`). */
  inactivityMs: number | null;
  webhookUrl: string | null;
  webhookAuth: { name: string; value: string } | null;
  /** v2 `enable_extra_session_information`: a SessionInformation message before SessionTerminated. */
  sessionInformation: boolean;
  /** v3 `filter_profanity`: profane words masked in every turn, as upstream's async transcripts mask them. */
  filterProfanity: boolean;
  /** v3 `speaker_labels` (with `max_speakers`): label each ended turn's speaker. */
  speakers: { maxSpeakers: number | null } | null;
  /** v3 `language_detection`: each ended turn's spoken language, as Turn's `language_code` and `language_confidence`. */
  languageDetection: boolean;
}

/** Earshot extension on the upgrade response: how far ahead of real time audio may run (ms, or `unlimited`), so `earshot stream --speed` paces within it. */
export const PACE_HEADER = 'x-earshot-pace-tolerance-ms';

/** Why a session is being closed, in terms each protocol maps to its own close code. */
export type CloseReason =
  | 'unauthorized'
  | 'badSampleRate'
  | 'badParams'
  | 'badJson'
  | 'badMessage'
  | 'chunkTooShort'
  | 'chunkTooLong'
  | 'tooFast'
  | 'tooLong'
  | 'tooMany'
  | 'idle'
  | 'serverError';

/** A client text frame, understood. */
export type ClientAction =
  | { kind: 'terminate' }
  | { kind: 'forceEndpoint' }
  | { kind: 'keepAlive' }
  | { kind: 'configure'; turn: Partial<TurnSettings> }
  | { kind: 'audio'; data: Buffer };

/** One wire protocol: how it reads the URL and client messages, and writes server messages. */
export interface StreamingProtocol {
  readonly name: 'v3' | 'v2';
  parseParams(query: Record<string, string | undefined>): SessionParams;
  /** Parses a text frame; throws SessionClose for bad JSON or an unknown message. */
  parseMessage(text: string): ClientAction;
  close(reason: CloseReason, detail?: string): SessionClose;
  /** The error frame sent before closing. */
  errorMessage(close: SessionClose): object;
  begin(sessionId: string, expiresAt: Date): object;
  turn(update: TurnUpdate): object[];
  termination(audioMs: number, sessionMs: number, params: SessionParams): object[];
  /** Idle sessions: v3 ends them normally (Termination, 1000), v2 with 4031. */
  readonly idleEndsNormally: boolean;
}

export const MIN_CHUNK_MS = 50;
export const MAX_CHUNK_MS = 1000;

export function parseBool(name: string, raw: string | undefined, fallback: boolean, close: (detail: string) => SessionClose): boolean {
  if (raw === undefined) return fallback;
  if (/^(true|1)$/i.test(raw)) return true;
  if (/^(false|0)$/i.test(raw)) return false;
  throw close(`${name} must be true or false`);
}

export function parseNumber(
  name: string,
  raw: string | undefined,
  fallback: number,
  range: [number, number],
  close: (detail: string) => SessionClose,
  integer = true,
): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < range[0] || n > range[1]) {
    throw close(`${name} must be ${integer ? 'an integer' : 'a number'} between ${range[0]} and ${range[1]}`);
  }
  return n;
}
