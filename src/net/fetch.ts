import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';
import { assertHostAllowed, createGuardedLookup, ForbiddenAddressError, type GuardPolicy } from './guard.js';

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
  signal?: AbortSignal;
  /** Resolver and allow-list for the public-mode guard; tests inject one. */
  guard?: GuardPolicy;
}

export interface DownloadOptions extends NetOptions {
  maxBytes: number;
  maxRedirects: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

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

/** One operation's connection pool, deadline and cancellation. */
class Session {
  readonly agent: Agent;
  readonly controller = new AbortController();
  timedOut = false;
  private readonly timer: NodeJS.Timeout;
  private readonly onCallerAbort = () => this.controller.abort(this.opts.signal?.reason);

  constructor(private readonly opts: NetOptions) {
    opts.signal?.throwIfAborted();
    // The guarded lookup runs at connect time, so the address checked is the address used.
    this.agent = new Agent(opts.publicMode ? { connect: { lookup: createGuardedLookup(opts.guard) } } : {});
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Refusal('timeout'));
    }, opts.timeoutMs);
    opts.signal?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  /** The short reason for a failure, or rethrows the caller's own abort. */
  reasonFor(err: unknown): string {
    if (this.opts.signal?.aborted) throw this.opts.signal.reason;
    if (this.timedOut) return 'timeout';
    for (let e: unknown = err; e instanceof Error; e = e.cause) {
      if (e instanceof Refusal) return e.message;
      if (e instanceof ForbiddenAddressError) return `forbidden address ${e.address}`;
    }
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    return `network error: ${code ?? (err instanceof Error ? err.message : String(err))}`;
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.opts.signal?.removeEventListener('abort', this.onCallerAbort);
    await this.agent.destroy();
  }
}

/** Drops a response body we do not read; closing the agent later must not surface as an unhandled 'error'. */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}

function header(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/**
 * Downloads `url` to `destPath`, streaming. Redirects are followed by hand so that, in public
 * mode, every hop's scheme and address are checked. Size is limited by Content-Length and by the
 * bytes actually received; time by one deadline over everything. On failure the partial file is
 * removed and a `DownloadError` thrown, except that the caller's own abort rethrows its reason.
 */
export async function safeDownload(
  url: string,
  destPath: string,
  opts: DownloadOptions,
): Promise<{ bytes: number; contentType: string | null; finalUrl: string }> {
  const session = new Session(opts);
  try {
    let target = parseTarget(url);
    for (let redirects = 0; ; redirects++) {
      checkHop(target, opts);
      const res = await request(target, { method: 'GET', dispatcher: session.agent, signal: session.controller.signal });
      const location = header(res.headers.location);
      if (REDIRECT_STATUSES.has(res.statusCode) && location) {
        discard(res.body);
        if (redirects >= opts.maxRedirects) throw new Refusal('too many redirects');
        target = parseTarget(location, target);
        continue;
      }
      if (res.statusCode < 200 || res.statusCode > 299) {
        discard(res.body);
        throw new Refusal(`http ${res.statusCode}`);
      }
      if (Number(header(res.headers['content-length']) ?? 0) > opts.maxBytes) {
        discard(res.body);
        throw new Refusal('too large');
      }
      let bytes = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          bytes += chunk.length;
          if (bytes > opts.maxBytes) callback(new Refusal('too large'));
          else callback(null, chunk);
        },
      });
      await pipeline(res.body, limit, createWriteStream(destPath), { signal: session.controller.signal });
      return { bytes, contentType: header(res.headers['content-type']), finalUrl: target.href };
    }
  } catch (err) {
    await rm(destPath, { force: true });
    throw new DownloadError(url, session.reasonFor(err), { cause: err });
  } finally {
    await session.close();
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
): Promise<{ status: number; durationMs: number }> {
  const session = new Session(opts);
  const started = performance.now();
  try {
    const target = parseTarget(url);
    checkHop(target, opts);
    const res = await request(target, {
      method: 'POST',
      // A caller's header (say a webhook auth header) must not smuggle in a second content-type.
      headers: { ...withoutContentType(headers), 'content-type': 'application/json' },
      body: JSON.stringify(body),
      dispatcher: session.agent,
      signal: session.controller.signal,
    });
    const durationMs = Math.round(performance.now() - started);
    discard(res.body); // the receiver's reply body is of no interest
    return { status: res.statusCode, durationMs };
  } catch (err) {
    throw new PostJsonError(url, session.reasonFor(err), { cause: err });
  } finally {
    await session.close();
  }
}
