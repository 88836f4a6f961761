import { Agent, request, type Dispatcher } from 'undici';
import { ForbiddenAddressError } from '../net/guard.js';

/** How a request failed before any HTTP answer, in the terms a fix is chosen by. */
export type NetFailure = 'dns' | 'refused' | 'timeout' | 'tls' | 'reset' | 'forbidden' | 'invalid' | 'other';

export class NetError extends Error {
  override name = 'NetError';

  constructor(
    readonly kind: NetFailure,
    /** The system or TLS error code, e.g. ENOTFOUND, DEPTH_ZERO_SELF_SIGNED_CERT. */
    readonly code: string | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|EPROTO|HOSTNAME|ALTNAME/;

/** Names the cause of a failed request (undici wraps the system error in `cause`). */
export function classifyNetError(err: unknown): NetError {
  if (err instanceof NetError) return err;
  let code: string | null = null;
  let message = err instanceof Error ? err.message : String(err);
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof ForbiddenAddressError) return new NetError('forbidden', e.code, e.message, { cause: err });
    const c = (e as NodeJS.ErrnoException).code;
    if (typeof c === 'string' && !c.startsWith('UND_ERR_')) {
      code = c;
      message = e.message;
      break;
    }
    if (c === 'UND_ERR_CONNECT_TIMEOUT' || c === 'UND_ERR_HEADERS_TIMEOUT' || c === 'UND_ERR_BODY_TIMEOUT') {
      return new NetError('timeout', c, 'timed out', { cause: err });
    }
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return new NetError('timeout', null, 'timed out', { cause: err });
    // Header values with line breaks are refused before anything is sent.
    if (c === 'UND_ERR_INVALID_ARG' || c === 'ERR_INVALID_CHAR') return new NetError('invalid', c, e.message, { cause: err });
    if (c === 'UND_ERR_SOCKET') code = 'ECONNRESET';
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA') return new NetError('dns', code, message, { cause: err });
  if (code === 'ECONNREFUSED') return new NetError('refused', code, message, { cause: err });
  if (code === 'ETIMEDOUT' || code === 'ECONNABORTED') return new NetError('timeout', code, message, { cause: err });
  if (code && TLS_CODES.test(code)) return new NetError('tls', code, message, { cause: err });
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'HPE_INVALID_CONSTANT' || code === 'HPE_INVALID_HEADER_TOKEN') {
    return new NetError('reset', code, message, { cause: err });
  }
  if (code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_ARG_VALUE' || code === 'ERR_INVALID_URL' || code === 'UND_ERR_INVALID_ARG') {
    return new NetError('invalid', code, message, { cause: err });
  }
  return new NetError('other', code, message, { cause: err });
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  /** The body as text, cut at `maxBytes`. */
  text: string;
  /** The body parsed as JSON, or undefined. */
  json: unknown;
  /** Time to the response headers. */
  ms: number;
}

export interface CallOptions {
  headers?: Record<string, string>;
  body?: string | Buffer | NodeJS.ReadableStream;
  timeoutMs?: number;
  maxBytes?: number;
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

async function readText(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= maxBytes) break;
    }
  } finally {
    body.on('error', () => undefined);
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}

/** An AssemblyAI-compatible API at one base URL, spoken to the way its SDKs do. */
export class ApiClient {
  private agent: Agent;
  /** Certificate checks are off: the doctor found a TLS problem and goes on to diagnose the rest. */
  insecure = false;

  constructor(
    readonly base: URL,
    private readonly defaultTimeoutMs = 15_000,
  ) {
    this.agent = new Agent({ connect: { timeout: defaultTimeoutMs } });
  }

  /** After a TLS finding has been reported: keep going without certificate checks. */
  async allowInsecure(): Promise<void> {
    if (this.insecure) return;
    this.insecure = true;
    const old = this.agent;
    this.agent = new Agent({ connect: { timeout: this.defaultTimeoutMs, rejectUnauthorized: false } });
    await old.close().catch(() => undefined);
  }

  url(pathOrUrl: string): URL {
    return new URL(pathOrUrl, this.base);
  }

  /** One request; throws `NetError` when no HTTP answer came. Never follows redirects. */
  async call(method: string, pathOrUrl: string, opts: CallOptions = {}): Promise<HttpAnswer> {
    const started = performance.now();
    let res: Dispatcher.ResponseData;
    try {
      res = await request(this.url(pathOrUrl), {
        method: method as Dispatcher.HttpMethod,
        headers: opts.headers,
        body: opts.body as Dispatcher.DispatchOptions['body'],
        dispatcher: this.agent,
        signal: AbortSignal.timeout(opts.timeoutMs ?? this.defaultTimeoutMs),
      });
    } catch (err) {
      throw classifyNetError(err);
    }
    const ms = Math.round(performance.now() - started);
    let text = '';
    try {
      text = await readText(res.body, opts.maxBytes ?? 1_048_576);
    } catch {
      /* a body cut short still leaves the status to judge by */
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, headers: flatHeaders(res.headers), text, json, ms };
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}

/** `{"error": "..."}` from an answer, else a short piece of its body. */
export function errorText(a: HttpAnswer): string {
  const e = (a.json as { error?: unknown } | undefined)?.error;
  if (typeof e === 'string') return e;
  return a.text.trim().slice(0, 200) || `HTTP ${a.status}`;
}
