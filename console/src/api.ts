import { getKey } from './settings';

/** Why a call failed, in words a user can act on. */
export class ApiError extends Error {
  constructor(
    message: string,
    /** `network`: no answer at all (server down); `auth`: the key was refused; `http`: any other error answer. */
    readonly kind: 'network' | 'auth' | 'http',
    readonly status = 0,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Listener = (err: ApiError) => void;
const listeners = new Set<Listener>();
/** The shell listens, to show one banner for a refused key or an unreachable server, whichever view failed. */
export function onApiFailure(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
const notify = (err: ApiError) => {
  for (const l of listeners) l(err);
};

const unreachable = () =>
  new ApiError(`Cannot reach the Earshot server at ${location.origin}. Is it running? Retry once it is back.`, 'network');

/** The server's `{"error": "..."}` text, or the status line. */
async function errorText(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') return body.error;
  } catch {
    /* not JSON */
  }
  return text.trim().slice(0, 300) || `${res.status} ${res.statusText}`;
}

export async function failure(res: Response): Promise<ApiError> {
  const text = await errorText(res);
  if (res.status === 401) {
    return new ApiError(`The server refused the API key (401: ${text}). Check it, or sign in with another key.`, 'auth', 401);
  }
  return new ApiError(text, 'http', res.status);
}

export interface FetchOptions extends Omit<RequestInit, 'body'> {
  json?: unknown;
  body?: BodyInit;
  /** Use this key instead of the remembered one (signing in). */
  key?: string;
}

/** fetch with the key; throws ApiError for a failed request or an error answer. */
export async function apiFetch(path: string, opts: FetchOptions = {}): Promise<Response> {
  const { json, key, ...init } = opts;
  const headers = new Headers(init.headers);
  headers.set('authorization', key ?? getKey() ?? '');
  if (json !== undefined) headers.set('content-type', 'application/json');
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers, body: json !== undefined ? JSON.stringify(json) : init.body });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    const e = unreachable();
    notify(e);
    throw e;
  }
  if (!res.ok) {
    const e = await failure(res);
    if (e.kind === 'auth' && key === undefined) notify(e);
    throw e;
  }
  return res;
}

export async function apiJson<T>(path: string, opts: FetchOptions = {}): Promise<T> {
  return (await apiFetch(path, opts)).json() as Promise<T>;
}

/** Calls `onEvent` with each server-sent event of a `text/event-stream` response, as it arrives. */
export async function readEvents(res: Response, onEvent: (event: string, data: unknown) => void): Promise<void> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffered += value;
    let end = buffered.indexOf('\n\n');
    for (; end >= 0; end = buffered.indexOf('\n\n')) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
      if (data !== undefined) onEvent(event, JSON.parse(data));
    }
  }
}

/** POST /v2/upload with progress events (fetch cannot report upload progress). */
export function uploadFile(file: Blob, onProgress: (sent: number, total: number) => void, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/v2/upload');
    xhr.setRequestHeader('authorization', getKey() ?? '');
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      const res = new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText });
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve((JSON.parse(xhr.responseText) as { upload_url: string }).upload_url);
      } else {
        void failure(res).then((e) => {
          if (e.kind === 'auth') notify(e);
          reject(e);
        });
      }
    };
    xhr.onerror = () => {
      const e = unreachable();
      notify(e);
      reject(e);
    };
    xhr.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/** What the API reports as the audio_url (and webhook_url) of a deleted transcript. */
const DELETED_URL = 'http://deleted_by_user';
/** A deleted transcript keeps its id and status (as upstream), but nothing else. */
export const isDeleted = (t: { audio_url: string }): boolean => t.audio_url === DELETED_URL;

/** Types of the API objects the console reads (the subset it uses). */
export type Status = 'queued' | 'processing' | 'completed' | 'error';

export interface Word {
  text: string;
  start: number;
  end: number;
  confidence: number;
  speaker: string | null;
}

export interface Transcript {
  id: string;
  status: Status;
  audio_url: string;
  text: string | null;
  words: Word[] | null;
  confidence: number | null;
  audio_duration: number | null;
  language_code?: string;
  /** With language_detection: how sure the detector was of `language_code`. */
  language_confidence?: number | null;
  speech_model_used?: string;
  punctuate: boolean | null;
  format_text: boolean | null;
  webhook_url: string | null;
  webhook_status_code: number | null;
  error?: string;
}

export interface Paragraph {
  text: string;
  start: number;
  end: number;
  confidence: number;
  words: Word[];
}

export interface ListItem {
  id: string;
  status: Status;
  created: string;
  completed: string | null;
  audio_url: string;
  error: string | null;
  snippet?: string;
}

/** Earshot's console API: a transcript's file name and length, which upstream's list items lack. */
export interface Details {
  file_name: string | null;
  audio_duration: number | null;
}

/**
 * The items with their details merged in, in one request. Without them (an older server) the
 * items still show, named by their URL.
 */
export async function withDetails<T extends { id: string }>(items: T[]): Promise<(T & Partial<Details>)[]> {
  if (items.length === 0) return items;
  try {
    const ids = items.map((t) => t.id).join(',');
    const body = await apiJson<{ transcripts: (Details & { id: string })[] }>(`/v2/console/transcripts?ids=${ids}`);
    const byId = new Map(body.transcripts.map((d) => [d.id, d]));
    return items.map((t) => ({ ...t, ...byId.get(t.id) }));
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'http') return items;
    throw err;
  }
}

/** Names a transcript after the file it was made from, for every browser to see. */
export const saveFileName = (id: string, name: string): Promise<unknown> =>
  apiJson(`/v2/console/transcripts/${id}/file-name`, { method: 'PUT', json: { file_name: name } });

/** What the server can honour (Earshot's console API). */
export interface Capabilities {
  speech_model: string;
  /** Language codes the engine takes, or 'all'. */
  languages: string[] | 'all';
  /** Features the API refuses when asked for. */
  unsupported_features: string[];
}

let capabilities: Promise<Capabilities> | null = null;
/** Asked once per visit; a failed answer is asked again next time. */
export function getCapabilities(): Promise<Capabilities> {
  capabilities ??= apiJson<Capabilities>('/v2/console/capabilities').catch((err: unknown) => {
    capabilities = null;
    throw err;
  });
  return capabilities;
}

export interface Peaks {
  sample_rate: number;
  samples_per_pixel: number;
  length: number;
  data: number[];
}
