import type { GuardPolicy } from '../net/guard.js';
import type { CheckName, TargetKind } from './finding.js';
import type { ApiClient } from './http.js';

export type StreamEncoding = 'pcm_s16le' | 'pcm_mulaw';

/** Inputs of a doctor run: the CLI flags, the `GET /v2/doctor` query, or a library caller's object. */
export interface DoctorOptions {
  /** Root of the API, e.g. https://api.assemblyai.com or http://127.0.0.1:8976. */
  baseUrl: string;
  apiKey?: string | null;
  /** The header the key is sent in; set from a pasted request (`x-api-key`, …). Default `authorization`. */
  authHeaderName?: string | null;
  /** A local file or an http(s) URL to check. */
  audio?: string | null;
  /** Submit a transcript (of `audio`, or of a built-in speech sample) and follow it. */
  submit?: boolean;
  /** Follow this transcript instead. */
  transcriptId?: string | null;
  /** How long to follow a transcript before judging it. */
  waitSeconds?: number;
  /** Call a transcript stuck after this long (default: from the service's typical time for its length). */
  stuckAfterSeconds?: number | null;
  webhookUrl?: string | null;
  webhookAuth?: { name: string; value: string } | null;
  /** A receiver must answer within this (upstream: 10 s). */
  webhookTimeoutMs?: number;
  /** A pasted `curl …` command or raw HTTP request. */
  request?: string | null;
  /** Check only the pasted request's text, send nothing. */
  offline?: boolean;
  lemur?: boolean;
  lemurModel?: string | null;
  /** Context size to check the transcript against, in tokens (default: the model's). */
  lemurContextTokens?: number | null;
  streaming?: boolean;
  sampleRate?: number;
  encoding?: StreamEncoding;
  streamingProtocol?: 'v3' | 'v2';
  /** The audio the user plans to stream (raw PCM, or a WAV), checked against sample rate and encoding. */
  streamAudio?: string | null;
  /** Streaming base URL (default: the cloud's streaming host, or the base URL). */
  streamingUrl?: string | null;
  /** A temporary token to test instead of a fresh one. */
  token?: string | null;
  tokenExpiresInSeconds?: number;
  /** Status page JSON (Statuspage `summary.json`). Default: AssemblyAI's for the cloud, `<base>/api/v2/summary.json` otherwise. */
  statusUrl?: string | null;
  /** Other hosts to try a rejected key on (default for the cloud: the other region). */
  alternateBaseUrls?: string[];
  /** Run only these checks. */
  checks?: CheckName[] | null;
  /** Progress lines for a person watching (CLI on a TTY). */
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

/** What Earshot knows about itself when the doctor runs inside it. */
export interface ServerFacts {
  publicMode: boolean;
  guard?: GuardPolicy;
  /** The nodes live on this server's database (its heartbeat table), and how many keep uploads where this one cannot read them. */
  fleet?: { liveNodes: number; apart: number };
}

export interface DoctorContext {
  opts: DoctorOptions;
  api: ApiClient;
  base: URL;
  kind: TargetKind;
  vantage: 'client' | 'server';
  server: ServerFacts | null;
  /** The target serves GET /v2/doctor. */
  earshot: boolean | null;
  /** The key that works (after the auth check fixed quotes, Bearer, …), else the presented one. */
  key: string | null;
  authOk: boolean | null;
  progress(line: string): void;
  signal?: AbortSignal;
}

export function authHeaders(ctx: DoctorContext): Record<string, string> {
  return ctx.key ? { authorization: ctx.key } : {};
}
