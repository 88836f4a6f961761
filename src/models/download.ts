import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { request } from 'undici';

export interface DownloadModelOptions {
  url: string;
  dest: string;
  expectedSize?: number;
  /** Hex digest, checked against the finished file when given. */
  sha256?: string;
  onProgress?: (received: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

export class ChecksumError extends Error {
  override name = 'ChecksumError';

  constructor(
    readonly file: string,
    readonly algorithm: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `Checksum mismatch for ${file}: expected ${algorithm} ${expected}, got ${actual}. The partial download was deleted; run the command again.`,
    );
  }
}

const MAX_REDIRECTS = 10;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

type Response = Awaited<ReturnType<typeof request>>;

/** GET with redirects followed by hand, so the Range header goes to every hop (HF sends models to a CDN). */
async function get(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
  let target = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await request(target, { method: 'GET', headers, signal });
    if (!REDIRECTS.has(res.statusCode)) return res;
    const location = res.headers.location;
    await res.body.dump();
    if (typeof location !== 'string') throw new Error(`Download of ${url} failed: HTTP ${res.statusCode} without a Location header`);
    target = new URL(location, target).toString();
  }
  throw new Error(`Download of ${url} failed: more than ${MAX_REDIRECTS} redirects`);
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

async function digest(file: string, algorithm: string): Promise<string> {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

// "bytes 100-199/200" → {start: 100, total: 200}; "bytes */200" (a 416 answer) → {total: 200}.
function parseContentRange(header: unknown): { start?: number; total?: number } {
  const m = typeof header === 'string' ? /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)/i.exec(header) : null;
  if (!m) return {};
  return { start: m[1] === undefined ? undefined : Number(m[1]), total: m[2] === '*' ? undefined : Number(m[2]) };
}

/**
 * Downloads `url` to `dest` through `dest.part`, resuming a `.part` left by an earlier attempt with a
 * Range request. The whole file is hashed before the atomic rename, so `dest` only ever holds a
 * verified model (a resumed file could otherwise hide a corrupt first half).
 */
export async function downloadModel(opts: DownloadModelOptions): Promise<void> {
  const { url, dest, expectedSize, signal, onProgress } = opts;
  const part = `${dest}.part`;
  await mkdir(path.dirname(dest), { recursive: true });

  let have = await sizeOf(part);
  if (expectedSize !== undefined && have > expectedSize) {
    await rm(part, { force: true });
    have = 0;
  }

  // A .part that already has every byte needs no request (a Range past the end would get 416).
  if (expectedSize === undefined || have < expectedSize) {
    const res = await get(url, have > 0 ? { range: `bytes=${have}-` } : {}, signal);
    let append = false;
    let total: number | undefined;
    const length = Number(res.headers['content-length']);

    if (res.statusCode === 206) {
      const range = parseContentRange(res.headers['content-range']);
      if (range.start !== have) {
        await res.body.dump();
        if (have === 0) throw new Error(`Download of ${url} failed: unexpected partial response ${String(res.headers['content-range'])}`);
        // Not the bytes we asked for: appending them would corrupt the file, so start over.
        await rm(part, { force: true });
        return downloadModel(opts);
      }
      append = true;
      total = range.total ?? (Number.isFinite(length) ? have + length : expectedSize);
    } else if (res.statusCode === 416 && have > 0) {
      // Nothing after our offset: the .part is complete if the server's size agrees, else start over.
      await res.body.dump();
      if (parseContentRange(res.headers['content-range']).total !== have) {
        await rm(part, { force: true });
        return downloadModel(opts);
      }
    } else if (res.statusCode === 200) {
      // The server ignored the Range (or there was none): the body is the whole file.
      have = 0;
      total = Number.isFinite(length) ? length : expectedSize;
    } else {
      await res.body.dump();
      throw new Error(`Download of ${url} failed: HTTP ${res.statusCode}`);
    }

    if (res.statusCode !== 416) {
      if (expectedSize !== undefined && total !== undefined && total !== expectedSize) {
        await res.body.dump();
        throw new Error(`Download of ${url} failed: server reports ${total} bytes, the catalogue says ${expectedSize}`);
      }
      let received = have;
      onProgress?.(received, total);
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          received += chunk.length;
          onProgress?.(received, total);
          done(null, chunk);
        },
      });
      // On abort or a dropped connection the .part stays, so the next attempt resumes.
      await pipeline(res.body, counter, createWriteStream(part, { flags: append ? 'a' : 'w' }), { signal });
    }
  }

  const size = await sizeOf(part);
  if (expectedSize !== undefined && size !== expectedSize) {
    if (size > expectedSize) await rm(part, { force: true });
    throw new Error(
      `Download of ${url} is incomplete: ${size} of ${expectedSize} bytes${size < expectedSize ? '; run the command again to resume' : ''}`,
    );
  }
  if (opts.sha256) {
    const actual = await digest(part, 'sha256');
    if (actual !== opts.sha256.toLowerCase()) {
      await rm(part, { force: true });
      throw new ChecksumError(dest, 'sha256', opts.sha256, actual);
    }
  }
  await rename(part, dest);
}

/**
 * Unpacks a downloaded .tar.bz2 release archive (system `tar`) and moves the one directory it must hold,
 * `dirName`, into `destDir`, replacing an older copy. It unpacks into a scratch directory first, so a
 * failed or partial unpack never leaves a half model where the engine looks for it; the archive is then deleted.
 */
export async function unpackArchive(archive: string, destDir: string, dirName: string): Promise<string> {
  const scratch = await mkdtemp(path.join(destDir, '.unpack-'));
  try {
    await promisify(execFile)('tar', ['-xjf', archive, '-C', scratch]);
    const unpacked = path.join(scratch, dirName);
    if (!(await stat(unpacked).catch(() => null))?.isDirectory()) throw new Error(`${archive} does not hold the directory ${dirName}`);
    const dest = path.join(destDir, dirName);
    await rm(dest, { recursive: true, force: true });
    await rename(unpacked, dest);
    await rm(archive, { force: true });
    return dest;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
