import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertHostAllowed, createGuardedLookup, ForbiddenAddressError, type GuardedLookup, type GuardPolicy } from './guard.js';

/** A remote `audio_url` could not be fetched. `message` is upstream's text; `reason` is the detail for logs. */
export class DownloadError extends Error {
  override name = 'DownloadError';

  constructor(
    readonly url: string,
    /** Short cause: 'http 404', 'too large', 'timeout', 'forbidden address 10.0.0.1', 'too many redirects', … */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Download error, unable to download ${url}. Please make sure the file exists and is accessible from the internet.`, options);
  }
}

/** A JSON POST (webhook delivery) got no HTTP response. A response of any status is not an error. */
export class PostJsonError extends Error {
  override name = 'PostJsonError';

  constructor(
    readonly url: string,
    /** Short cause: 'timeout', 'forbidden address 127.0.0.1', 'network error: ECONNREFUSED', … */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`POST ${url} failed: ${reason}`, options);
  }
}

export interface NetOptions {
  /** Refuse loopback, private, link-local and other non-public targets, on every hop. */
  publicMode: boolean;
  /** Total time for the whole operation, redirects and body included. */
  timeoutMs: number;
  /** Time for each hop's TCP connection. */
  connectTimeoutMs?: number;
  /** Time from each hop's connection to its response headers (a TLS handshake included). */
  headersTimeoutMs?: number;
  /** Longest wait for the next bytes of a response body. */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
  /** Resolver and allow-list for the public-mode guard; tests inject one. */
  guard?: GuardPolicy;
}

export interface DownloadOptions extends NetOptions {
  maxBytes: number;
  maxRedirects: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const FILE_SYSCALLS = new Set(['open', 'write', 'close']);

/** Carries a failure's short reason up to the public error type. */
class Refusal extends Error {
  override name = 'Refusal';
}

function parseTarget(raw: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw new Refusal('invalid url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Refusal(`unsupported scheme ${url.protocol}`);
  return url;
}

function checkHop(url: URL, opts: NetOptions): void {
  if (opts.publicMode) assertHostAllowed(url, opts.guard);
}

/** One operation's deadline, cancellation and name lookup. */
class Session {
  readonly controller = new AbortController();
  /** The guarded lookup runs at connect time, so the address checked is the address used. */
  readonly lookup: GuardedLookup | undefined;
  timedOut = false;
  private readonly timer: NodeJS.Timeout;
  private readonly onCallerAbort = () => this.controller.abort(this.opts.signal?.reason);

  constructor(readonly opts: NetOptions) {
    opts.signal?.throwIfAborted();
    this.lookup = opts.publicMode ? createGuardedLookup(opts.guard) : undefined;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Refusal('timeout'));
    }, opts.timeoutMs);
    opts.signal?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  /** The short reason for a failure, or rethrows the caller's own abort. Never a local path: only codes and names. */
  reasonFor(err: unknown): string {
    if (this.opts.signal?.aborted) throw this.opts.signal.reason;
    if (this.timedOut) return 'timeout';
    for (let e: unknown = err; e instanceof Error; e = e.cause) {
      if (e instanceof Refusal) return e.message;
      if (e instanceof ForbiddenAddressError) return `forbidden address ${e.address}`;
    }
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    return `network error: ${code ?? (err instanceof Error ? err.name : typeof err)}`;
  }

  close(): void {
    clearTimeout(this.timer);
    this.opts.signal?.removeEventListener('abort', this.onCallerAbort);
  }
}

/**
 * One HTTP exchange up to its response headers, on a connection of its own, under the connect
 * and headers limits. Node's own client, not undici: undici 6 and 7 throw an uncatchable
 * assertion when a server closes the connection while a body is paused (nodejs/undici#5360),
 * which is how Python's http.server ends every response.
 */
function send(
  target: URL,
  init: { method: string; headers?: Record<string, string>; body?: string },
  session: Session,
): Promise<http.IncomingMessage> {
  const { connectTimeoutMs, headersTimeoutMs } = session.opts;
  return new Promise((resolve, reject) => {
    const req = (target.protocol === 'https:' ? https : http).request(target, {
      method: init.method,
      headers: init.headers,
      agent: false,
      signal: session.controller.signal,
      ...(session.lookup ? { lookup: session.lookup } : {}),
    });
    let timer: NodeJS.Timeout | undefined;
    const limit = (ms: number | undefined, reason: string) => {
      clearTimeout(timer);
      if (ms) timer = setTimeout(() => req.destroy(new Refusal(reason)), ms);
    };
    req.once('socket', (socket) => {
      if (!socket.connecting) return limit(headersTimeoutMs, 'headers timeout');
      limit(connectTimeoutMs, 'connect timeout');
      socket.once('connect', () => limit(headersTimeoutMs, 'headers timeout'));
    });
    req.once('response', (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    // `on`, not `once`: an error after the first must not go unhandled (and end the process).
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(init.body);
  });
}

/** Drops a response body we do not read, and its connection; a late 'error' must not go unhandled. */
function discard(res: http.IncomingMessage): void {
  res.on('error', () => undefined);
  res.destroy();
}

/** A reply body's first bytes at most, as text: what a receiver says about a failed delivery. */
export const EXCERPT_BYTES = 512;
/** How long the excerpt may take after the headers: a receiver that never ends its body must not hold the sender. */
const EXCERPT_MS = 2000;

async function excerptOf(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  const timer = setTimeout(() => res.destroy(), EXCERPT_MS);
  try {
    for await (const chunk of res) {
      chunks.push(Buffer.from(chunk as Buffer));
      size += (chunk as Buffer).length;
      if (size >= EXCERPT_BYTES) break;
    }
  } catch {
    // A body cut short (or stopped by the timer) still has its first bytes.
  } finally {
    clearTimeout(timer);
    discard(res);
  }
  return Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
}

function header(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/**
 * Downloads `url` to `destPath`, streaming. Redirects are followed by hand so that, in public
 * mode, every hop's scheme and address are checked. Size is limited by Content-Length and by the
 * bytes actually received; time by the connect, headers and idle limits and one deadline over
 * everything. On failure the partial file is removed and a `DownloadError` thrown, except that the
 * caller's own abort rethrows its reason and a failure to write the file throws a plain `Error`
 * (the server's fault, not the URL's) naming only its code.
 */
export async function safeDownload(
  url: string,
  destPath: string,
  opts: DownloadOptions,
): Promise<{ bytes: number; contentType: string | null; finalUrl: string }> {
  const session = new Session(opts);
  let writeError: NodeJS.ErrnoException | undefined;
  let file: WriteStream | undefined;
  try {
    let target = parseTarget(url);
    for (let redirects = 0; ; redirects++) {
      checkHop(target, opts);
      const res = await send(target, { method: 'GET' }, session);
      const location = header(res.headers.location);
      if (REDIRECT_STATUSES.has(res.statusCode!) && location) {
        discard(res);
        if (redirects >= opts.maxRedirects) throw new Refusal('too many redirects');
        target = parseTarget(location, target);
        continue;
      }
      if (res.statusCode! < 200 || res.statusCode! > 299) {
        discard(res);
        throw new Refusal(`http ${res.statusCode}`);
      }
      if (Number(header(res.headers['content-length']) ?? 0) > opts.maxBytes) {
        discard(res);
        throw new Refusal('too large');
      }
      res.on('error', () => undefined); // pipeline() sees errors; this catches one after it settled (a late idle timer)
      if (opts.idleTimeoutMs) res.setTimeout(opts.idleTimeoutMs, () => res.destroy(new Refusal('idle timeout')));
      let bytes = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          bytes += chunk.length;
          if (bytes > opts.maxBytes) callback(new Refusal('too large'));
          else callback(null, chunk);
        },
      });
      file = createWriteStream(destPath);
      // pipeline() also destroys the file with other stages' errors; only the file's own system calls count.
      file.on('error', (err: NodeJS.ErrnoException) => {
        if (err.syscall && FILE_SYSCALLS.has(err.syscall)) writeError ??= err;
      });
      await pipeline(res, limit, file, { signal: session.controller.signal });
      return { bytes, contentType: header(res.headers['content-type']), finalUrl: target.href };
    }
  } catch (err) {
    // A response that fails at once can beat the file's open(): removing it before the stream closes would let it reappear.
    const opened = file;
    if (opened && !opened.closed) await new Promise((resolve) => opened.once('close', () => resolve(undefined)));
    await rm(destPath, { force: true });
    if (writeError && !opts.signal?.aborted) throw new Error(`could not write the downloaded audio: ${writeError.code ?? writeError.name}`);
    throw new DownloadError(url, session.reasonFor(err), { cause: err });
  } finally {
    session.close();
  }
}

function withoutContentType(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-type'));
}

/**
 * POSTs `body` as JSON and reports the response status and the time to it. No redirects are
 * followed (a 3xx is returned as is). Throws `PostJsonError` only when no response arrived.
 */
export async function safePostJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  opts: NetOptions,
): Promise<{ status: number; durationMs: number; excerpt: string }> {
  const session = new Session(opts);
  const started = performance.now();
  try {
    const target = parseTarget(url);
    checkHop(target, opts);
    const res = await send(
      target,
      {
        method: 'POST',
        // A caller's header (say a webhook auth header) must not smuggle in a second content-type.
        headers: { ...withoutContentType(headers), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      session,
    );
    const durationMs = Math.round(performance.now() - started);
    return { status: res.statusCode!, durationMs, excerpt: await excerptOf(res) };
  } catch (err) {
    throw new PostJsonError(url, session.reasonFor(err), { cause: err });
  } finally {
    session.close();
  }
}
