/**
 * What the rules read: a parsed request and what follows from it (its route, its key, its body),
 * worked out once so that each rule's `when` is a plain condition.
 */
import { isIP } from 'node:net';
import { isForbiddenAddress } from '../../net/guard.js';
import { PLACEHOLDER } from '../auth.js';
import { isLoopbackHost } from '../finding.js';
import type { Header, ParsedRequest } from './parsed.js';
import { matchRoute, type Route } from './routes.js';

const CLOUD_API_HOSTS = ['api.assemblyai.com', 'api.eu.assemblyai.com'];
const CLOUD_STREAMING_HOSTS = ['streaming.assemblyai.com', 'streaming.eu.assemblyai.com'];
const ALT_AUTH_HEADERS =
  /^(x-?api-?key|api-?key|apikey|x-assemblyai-api-key|assemblyai-api-key|x-auth-token|token|x-token|x-api-token|api-token|auth|x-authorization|key)$/i;
export const AUDIO_EXT =
  /\.(3ga|8svx|aac|ac3|aif|aiff|alac|amr|ape|au|dss|flac|flv|m4a|m4b|m4p|m4r|mp3|mpga|ogg|oga|mogg|opus|qcp|tta|voc|wav|wma|wv|webm|mts|m2ts|ts|mov|mp2|mp4|m4v|mxf|mkv|avi|pcm|raw)$/i;

/** What is wrong with the Authorization header's value, in the order the rules report it; `variable` is left to the shell notes. */
export type KeyProblem = 'empty' | 'variable' | 'bearer' | 'scheme' | 'quoted' | 'placeholder' | 'whitespace';

/** A route's JSON body: sent as a form, as audio, not at all, in a file not read here, not JSON, or JSON. */
export type Body =
  | { kind: 'form' | 'audio' | 'none' | 'unread' }
  | { kind: 'invalid'; error: string; formEncoded: boolean }
  | { kind: 'json'; value: unknown };

/** A URL a transcript request names (audio_url, webhook_url): `url` is null when it does not parse. */
export interface NamedUrl {
  value: string;
  url: URL | null;
}

export interface Facts {
  req: ParsedRequest;
  url: URL;
  host: string;
  /** An AssemblyAI host: habits Earshot forgives fail there. */
  cloud: boolean;
  apiHost: boolean;
  streamingHost: boolean;
  /** The path as sent, then with doubled slashes made single, then without a trailing slash (what routes match). */
  sentPath: string;
  singlePath: string;
  path: string;
  route: Route | null;
  /** The route's first parameter: the transcript, upload or LeMUR id, or the LeMUR kind. */
  id: string | undefined;
  needsAuth: boolean;
  authHeaders: Header[];
  keyProblem: KeyProblem | null;
  altHeader: Header | undefined;
  keyInQuery: string | undefined;
  contentType: string | null;
  filesRead: string[];
  fileExists: (path: string) => boolean;
  /** The data parts joined as curl sends them, with a JSON file's text in place of its @name. */
  bodyText: string;
  /** Which body table applies: a transcript, a LeMUR request or a v2 token. */
  jsonRoute: 'transcript' | 'lemur' | 'v2-token' | null;
  body: Body | null;
  /** The body, when it is a JSON object. */
  fields: Record<string, unknown> | null;
  audioUrl: NamedUrl | null;
  /** A local path, not a URL (file://, ./x, C:\x, a bare file name). */
  audioUrlLocal: boolean;
  webhookUrl: NamedUrl | null;
}

export function hostKind(hostname: string): 'private' | 'public' | 'unknown' {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isLoopbackHost(h) || /\.(local|internal|lan|home|corp)$/.test(h)) return 'private';
  if (isIP(h)) return isForbiddenAddress(h) ? 'private' : 'public';
  return h.includes('.') ? 'unknown' : 'private';
}

function keyProblemOf(v: string): KeyProblem | null {
  if (v === '') return 'empty';
  if (/^\$\{?[A-Za-z_]/.test(v)) return 'variable';
  if (/^bearer\s+/i.test(v)) return 'bearer';
  if (/^(token|basic|key|apikey|api-key)\s+/i.test(v)) return 'scheme';
  if (/^["'“”‘’].*["'“”‘’]$/.test(v)) return 'quoted';
  if (PLACEHOLDER.test(v)) return 'placeholder';
  if (/\s/.test(v)) return 'whitespace';
  return null;
}

const parsedUrl = (v: string): URL | null => {
  try {
    return new URL(v);
  } catch {
    return null;
  }
};

function bodyOf(req: ParsedRequest, text: string, unreadable: boolean): Body {
  if (req.form.length > 0) return { kind: 'form' };
  if (req.data.some((d) => d.file && AUDIO_EXT.test(d.file)) || (req.uploadFile && AUDIO_EXT.test(req.uploadFile)))
    return { kind: 'audio' };
  if (req.data.length === 0) return { kind: 'none' };
  if (unreadable) return { kind: 'unread' };
  try {
    return { kind: 'json', value: JSON.parse(text) };
  } catch (err) {
    return { kind: 'invalid', error: (err as Error).message, formEncoded: /^[\w.]+=[^{]*(&[\w.]+=.*)*$/.test(text.trim()) };
  }
}

export interface FileAccess {
  fileExists: (path: string) => boolean;
  readFile?: (path: string) => string | null;
}

/** The facts of a request whose URL parsed (and is not a WebSocket's). */
export function factsOf(req: ParsedRequest, url: URL, { fileExists, readFile }: FileAccess): Facts {
  const host = url.hostname.toLowerCase();
  const sentPath = url.pathname;
  const singlePath = /\/\//.test(sentPath) ? sentPath.replace(/\/{2,}/g, '/') : sentPath;
  const path = singlePath.length > 1 && singlePath.endsWith('/') ? singlePath.replace(/\/+$/, '') : singlePath;
  const match = matchRoute(path);
  const route = match?.route ?? null;
  const authHeaders = req.headers.filter((h) => !h.malformed && h.name.toLowerCase() === 'authorization');
  const filesRead = [
    ...req.data.filter((d) => d.file).map((d) => d.file!),
    ...req.form.filter((p) => p.file).map((p) => p.file!),
    ...(req.uploadFile ? [req.uploadFile] : []),
  ];
  // A JSON body in a file (-d @body.json) is read when the caller can, so its fields get checked too.
  const bodyText = req.data.map((d) => (d.file && !AUDIO_EXT.test(d.file) ? (readFile?.(d.file) ?? '') : d.text)).join('&');
  const unreadable = req.data.some((d) => d.file && (AUDIO_EXT.test(d.file) || readFile?.(d.file) == null));
  const jsonRoute =
    route?.name === 'transcripts' && req.method === 'POST'
      ? 'transcript'
      : route?.name === 'lemur'
        ? 'lemur'
        : route?.name === 'v2-token'
          ? 'v2-token'
          : null;
  const body = jsonRoute ? bodyOf(req, bodyText, unreadable) : null;
  const value = body?.kind === 'json' ? body.value : undefined;
  const fields = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  const transcript = jsonRoute === 'transcript' ? fields : null;
  const audio = typeof transcript?.audio_url === 'string' ? transcript.audio_url.trim() : null;
  const webhook = typeof transcript?.webhook_url === 'string' ? transcript.webhook_url : null;
  const webhookUrl = webhook === null ? null : parsedUrl(webhook);
  return {
    req,
    url,
    host,
    cloud: /(^|\.)assemblyai\.com$/.test(host),
    streamingHost: CLOUD_STREAMING_HOSTS.includes(host),
    apiHost: CLOUD_API_HOSTS.includes(host),
    sentPath,
    singlePath,
    path,
    route,
    id: match?.id,
    needsAuth: route?.name !== 'health' && route?.name !== 'websocket',
    authHeaders,
    keyProblem: authHeaders.length > 0 ? keyProblemOf(authHeaders[0]!.value) : null,
    altHeader: req.headers.find((h) => !h.malformed && ALT_AUTH_HEADERS.test(h.name)),
    keyInQuery: [...url.searchParams.keys()].find(
      (k) => /^(api_?key|apikey|key|authorization)$/i.test(k) || (k === 'token' && route?.name !== 'websocket'),
    ),
    contentType: req.headers.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? null,
    filesRead,
    fileExists,
    bodyText,
    jsonRoute,
    body,
    fields,
    audioUrl: audio === null ? null : { value: audio, url: parsedUrl(audio) },
    audioUrlLocal:
      audio !== null &&
      (/^file:\/\//i.test(audio) ||
        /^(\.{0,2}\/|~\/|[A-Za-z]:[\\/])/.test(audio) ||
        (!/^[a-z][a-z0-9+.-]*:/i.test(audio) && AUDIO_EXT.test(audio))),
    webhookUrl:
      webhook === null
        ? null
        : { value: webhook, url: webhookUrl?.protocol === 'http:' || webhookUrl?.protocol === 'https:' ? webhookUrl : null },
  };
}
