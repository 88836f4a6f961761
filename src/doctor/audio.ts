import { promises as dns } from 'node:dns';
import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Agent, request, type Dispatcher } from 'undici';
import { AudioError, probeAudio, sniffFileType, type AudioProbe, type FileType } from '../audio/decode.js';
import { FfmpegNotFoundError } from '../audio/ffmpeg.js';
import { assertHostAllowed, createGuardedLookup, isForbiddenAddress } from '../net/guard.js';
import { uploadIdFromUrl } from '../storage/uploads.js';
import { authHeaders, type DoctorContext } from './context.js';
import { findingsFor, isLoopbackHost, type Finding } from './finding.js';
import { classifyNetError, NetError } from './http.js';

const f = findingsFor('audio');

/** Upstream's limits (FAQ): 160 ms to 10 h; 2.2 GB through /v2/upload, 5 GB by URL. */
export const MIN_DURATION_MS = 160;
export const MAX_DURATION_MS = 10 * 3600 * 1000;
export const MAX_UPLOAD_BYTES = 2_200_000_000;
export const MAX_URL_BYTES = 5_000_000_000;
/** Earshot's default EARSHOT_DOWNLOAD_MAX_REDIRECTS. */
const MAX_REDIRECTS = 5;
const SNIFF_BYTES = 8192;
const FETCH_TIMEOUT_MS = 15_000;

const UPLOAD_FIX =
  'Upload the file with POST /v2/upload (raw bytes, Content-Type: application/octet-stream) and use the upload_url it returns as audio_url; the SDKs do this when given a file path.';
const OR_UPLOAD = 'or upload the file with POST /v2/upload and use the upload_url it returns as audio_url';

export function isHttpUrl(s: string): boolean {
  return /^https?:\/\//i.test(s.trim());
}

const fmtDuration = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s >= 3600
    ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
    : s >= 60
      ? `${Math.floor(s / 60)} min ${s % 60} s`
      : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 0)} s`;
};
const fmtBytes = (n: number) =>
  n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.round(n / 1e3)} kB`;

/** MP4-family files with a protection scheme (FairPlay `drms`, CENC) cannot be decoded. */
async function isDrmProtected(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2 * 1024 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const b = buf.subarray(0, bytesRead);
    if (b.toString('latin1', 4, 8) !== 'ftyp') return false;
    return b.includes('sinf') && ['drms', 'cenc', 'cbcs', 'enca'].some((s) => b.includes(s));
  } finally {
    await fh.close();
  }
}

function describe(p: AudioProbe): string {
  const parts = [
    p.container,
    p.codec,
    p.channels ? `${p.channels} ch` : null,
    p.sampleRate ? `${p.sampleRate} Hz` : null,
    p.durationMs !== null ? fmtDuration(p.durationMs) : null,
  ];
  return parts.filter(Boolean).join(', ');
}

export interface LocalAudio {
  path: string;
  size: number;
  probe: AudioProbe | null;
  type: FileType | null;
}

/** A local file: probed with ffmpeg, judged against upstream's limits; says to upload it. */
export async function checkLocalAudio(file: string): Promise<{ findings: Finding[]; audio: LocalAudio | null }> {
  const out: Finding[] = [];
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile())
      return { findings: [f.fail('not_a_file', `${file} is not a file.`, 'Give the path of an audio or video file.')], audio: null };
    size = s.size;
  } catch {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
      return {
        findings: [
          f.fail(
            'url_scheme',
            `${file} is not an http(s) URL: the service fetches audio only over http(s).`,
            'For s3:// or gs:// use a pre-signed https URL; for a local file, upload it with /v2/upload.',
          ),
        ],
        audio: null,
      };
    }
    return {
      findings: [
        f.fail('file_not_found', `No such file: ${file}.`, 'Check the path (relative paths are taken from the current directory).'),
      ],
      audio: null,
    };
  }
  const audio: LocalAudio = { path: file, size, probe: null, type: null };
  if (size === 0)
    return {
      findings: [f.fail('empty_file', `${file} is empty (0 bytes).`, 'The recording or download did not finish: produce the file again.')],
      audio,
    };
  audio.type = await sniffFileType(file);
  if (audio.type.kind === 'document') {
    out.push(
      f.fail(
        'not_audio',
        `${file} is not audio: it is ${audio.type.mime} (${audio.type.description}); the service would answer "File does not appear to contain audio".`,
        'Give the audio or video file itself (a saved web page or a playlist is not one).',
        { mime: audio.type.mime },
      ),
    );
    return { findings: out, audio };
  }
  if (await isDrmProtected(file)) {
    out.push(
      f.fail(
        'drm_protected',
        `${file} is DRM-protected (encrypted MP4/M4P): it cannot be decoded.`,
        'Use an unprotected copy of the recording (export it again without DRM).',
      ),
    );
    return { findings: out, audio };
  }
  try {
    audio.probe = await probeAudio(file);
  } catch (err) {
    if (err instanceof FfmpegNotFoundError) {
      out.push(f.skip('no_ffmpeg', `ffmpeg is not installed here, so ${file} was not probed.`, err.message));
      return { findings: out, audio };
    }
    const detail = err instanceof AudioError ? (err.detail ?? '').split('\n').pop() : (err as Error).message;
    out.push(
      f.fail(
        'unsupported',
        `ffmpeg cannot read ${file} (${audio.type.mime}${detail ? `: ${detail}` : ''}).`,
        'Convert it to a common format first (ffmpeg -i INPUT -ac 1 output.wav), or export it again from the recording app.',
        { detail },
      ),
    );
    return { findings: out, audio };
  }
  const p = audio.probe;
  const evidence = { ...p, size };
  if (!p.hasAudio) {
    if (p.hasVideo)
      out.push(
        f.fail(
          'video_only',
          `${file} has a video track but no audio track (${p.container}).`,
          'Export the video with its sound, or give the audio file.',
          evidence,
        ),
      );
    else out.push(f.fail('no_audio_stream', `${file} has no audio stream (${p.container}).`, 'Give a file with sound in it.', evidence));
    return { findings: out, audio };
  }
  if (p.durationMs !== null && p.durationMs < MIN_DURATION_MS) {
    out.push(
      f.fail(
        'too_short',
        `${file} lasts ${p.durationMs} ms; the minimum is ${MIN_DURATION_MS} ms ("Audio duration is too short.").`,
        'Record or send a longer clip.',
        evidence,
      ),
    );
  } else if (p.durationMs !== null && p.durationMs > MAX_DURATION_MS) {
    out.push(
      f.fail(
        'too_long',
        `${file} lasts ${fmtDuration(p.durationMs)}; the limit is 10 h.`,
        'Split it (ffmpeg -i in -f segment -segment_time 3600 -c copy part%02d.ext) and transcribe the parts.',
        evidence,
      ),
    );
  } else {
    out.push(f.pass('probe', `Audio: ${describe(p)}, ${fmtBytes(size)}.`, undefined, evidence));
  }
  if (size > MAX_UPLOAD_BYTES) {
    out.push(
      f.fail(
        'too_large_to_upload',
        `${file} is ${fmtBytes(size)}; /v2/upload takes at most 2.2 GB.`,
        'Host it at an https URL (up to 5 GB) and pass that as audio_url, or compress it (ffmpeg -i in -ac 1 -b:a 64k out.mp3).',
        evidence,
      ),
    );
  } else {
    out.push(f.info('upload_needed', `${file} is a local file: the service cannot fetch it by path.`, UPLOAD_FIX));
  }
  return { findings: out, audio };
}

/** Statuses that end a URL check, with their reading. */
function httpFinding(url: string, status: number, finalUrl: string): Finding {
  const evidence = { url, final_url: finalUrl, status };
  if (status === 401 || status === 403) {
    const signed = /[?&](X-Amz-Signature|Signature|X-Goog-Signature|sig)=/i.test(finalUrl);
    return f.fail(
      'url_forbidden',
      `${url} answers ${status}: it needs credentials${signed ? ' (the signature may have expired)' : ''}, and the service sends none.`,
      signed
        ? 'Make a fresh pre-signed URL valid for several hours, or upload the file with /v2/upload.'
        : `Make the file publicly readable, use a pre-signed URL, ${OR_UPLOAD}.`,
      evidence,
    );
  }
  if (status === 404 || status === 410)
    return f.fail(
      'url_not_found',
      `${url} answers ${status}: there is no file there.`,
      'Check the URL (copy it again); if the file was moved or deleted, upload it with /v2/upload.',
      evidence,
    );
  return f.fail(
    'url_http_error',
    `${url} answers ${status}.`,
    'The service needs a 200 answer with the file: fix the server hosting it, or upload the file with /v2/upload.',
    evidence,
  );
}

const WEB_PAGES: [RegExp, string][] = [
  [/(^|\.)(youtube\.com|youtu\.be)$/i, 'YouTube pages are not audio files: download the audio (e.g. yt-dlp -x URL) and upload it.'],
  [
    /(^|\.)drive\.google\.com$/i,
    'Use the direct download form https://drive.google.com/uc?export=download&id=FILE_ID, with the file shared as "anyone with the link".',
  ],
  [/(^|\.)dropbox\.com$/i, 'Change ?dl=0 to ?dl=1 in the Dropbox link to get the file instead of the preview page.'],
  [/(^|\.)(1drv\.ms|onedrive\.live\.com|sharepoint\.com)$/i, 'Use the direct download link (add download=1), not the sharing page.'],
];

function htmlFix(url: string): string {
  const host = new URL(url).hostname;
  return (
    WEB_PAGES.find(([re]) => re.test(host))?.[1] ??
    `Link to the audio file itself, not a web page about it (a login or error page also comes back as HTML), ${OR_UPLOAD}.`
  );
}

/** Pre-signed URLs carry their expiry: S3 (SigV4, SigV2), Google Cloud Storage, Azure SAS. */
export function presignedExpiry(u: URL): Date | null {
  const q = u.searchParams;
  const stamp = (s: string | null) =>
    s && /^\d{8}T\d{6}Z$/.test(s)
      ? Date.parse(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`)
      : NaN;
  const v4 = stamp(q.get('X-Amz-Date')) + Number(q.get('X-Amz-Expires')) * 1000;
  if (Number.isFinite(v4)) return new Date(v4);
  const goog = stamp(q.get('X-Goog-Date')) + Number(q.get('X-Goog-Expires')) * 1000;
  if (Number.isFinite(goog)) return new Date(goog);
  const v2 = Number(q.get('Expires'));
  if (q.get('Expires') && Number.isFinite(v2)) return new Date(v2 * 1000);
  const sas = q.get('se') && q.get('sig') ? Date.parse(q.get('se')!) : NaN;
  if (Number.isFinite(sas)) return new Date(sas);
  return null;
}

interface Fetched {
  hops: { url: string; status: number }[];
  status: number;
  headers: Record<string, string>;
  head: Buffer;
  finalUrl: string;
  totalBytes: number | null;
}

/**
 * GETs the first bytes of `url`, following redirects by hand. With `guarded` every hop's address
 * is checked the way Earshot's public mode checks downloads (at connect time, so DNS rebinding is no way round).
 */
async function fetchHead(url: string, ctx: DoctorContext, guarded: boolean): Promise<Fetched> {
  const guard = ctx.server?.guard;
  const agent = new Agent({ connect: { timeout: FETCH_TIMEOUT_MS, ...(guarded && { lookup: createGuardedLookup(guard) }) } });
  const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS);
  const hops: Fetched['hops'] = [];
  try {
    let target = new URL(url);
    for (let i = 0; i <= 10; i++) {
      if (guarded) assertHostAllowed(target, guard);
      const res: Dispatcher.ResponseData = await request(target, {
        method: 'GET',
        headers: { range: `bytes=0-${SNIFF_BYTES - 1}`, 'user-agent': 'Earshot-Doctor/1.0' },
        dispatcher: agent,
        signal,
      });
      hops.push({ url: target.href, status: res.statusCode });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      if (res.statusCode >= 300 && res.statusCode < 400 && headers.location) {
        res.body.on('error', () => undefined);
        res.body.destroy();
        target = new URL(headers.location, target);
        continue;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of res.body as AsyncIterable<Buffer>) {
        chunks.push(c);
        size += c.length;
        if (size >= SNIFF_BYTES) break;
      }
      res.body.on('error', () => undefined);
      res.body.destroy();
      const range = /\/(\d+)$/.exec(headers['content-range'] ?? '');
      const totalBytes = range
        ? Number(range[1])
        : res.statusCode === 200 && headers['content-length']
          ? Number(headers['content-length'])
          : null;
      return {
        hops,
        status: res.statusCode,
        headers,
        head: Buffer.concat(chunks).subarray(0, SNIFF_BYTES),
        finalUrl: target.href,
        totalBytes,
      };
    }
    return { hops, status: 310, headers: {}, head: Buffer.alloc(0), finalUrl: target.href, totalBytes: null };
  } finally {
    await agent.close().catch(() => undefined);
  }
}

async function sniffBytes(head: Buffer): Promise<FileType> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'earshot-doctor-'));
  try {
    const file = path.join(dir, 'head');
    await writeFile(file, head);
    return await sniffFileType(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function resolveAll(host: string): Promise<string[]> {
  const h = host.replace(/^\[|\]$/g, '');
  if (isIP(h)) return [h];
  return (await dns.lookup(h, { all: true })).map((a) => a.address);
}

/**
 * An audio URL, from the service's point of view: private addresses a remote service cannot
 * reach, redirects, 403/404, HTML instead of audio, expired pre-signed or upload URLs.
 */
export async function checkAudioUrl(ctx: DoctorContext, url: string): Promise<Finding[]> {
  const out: Finding[] = [];
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return [f.fail('url_invalid', `"${url}" is not a valid URL.`, 'audio_url must be a full http(s) URL.')];
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return [
      f.fail(
        'url_scheme',
        `${url} is not an http(s) URL: the service fetches audio only over http(s).`,
        'For s3:// or gs:// use a pre-signed https URL; for a local file, upload it with /v2/upload.',
      ),
    ];
  }

  // Upload URLs: only the API reads them, with the key of the project that uploaded.
  if (/^cdn\.assemblyai\.com$/i.test(u.hostname) && u.pathname.startsWith('/upload/')) {
    if (ctx.kind !== 'assemblyai')
      return [
        f.fail(
          'upload_other_server',
          `${url} is an AssemblyAI upload URL; ${ctx.base.host} cannot read AssemblyAI's uploads.`,
          'Upload the file to this server with its own /v2/upload.',
        ),
      ];
    return [
      f.info(
        'upload_url',
        'This is an AssemblyAI upload URL: usable only with the key that uploaded it, and deleted after 24 h if no transcript uses it (it cannot be checked from outside).',
        'If a transcript of it fails with a download error, upload the file again.',
      ),
    ];
  }
  const uploadId = uploadIdFromUrl(u.href);
  if (uploadId) {
    if (u.host !== ctx.base.host && ctx.vantage === 'client') {
      out.push(
        f.warn(
          'upload_other_server',
          `${url} is an upload URL of ${u.host}, not of ${ctx.base.host}.`,
          'Upload the file to the server you transcribe on.',
        ),
      );
    }
    if (ctx.key) {
      const a = await ctx.api
        .call('GET', `/v2/upload/${uploadId}`, { headers: authHeaders(ctx), maxBytes: 1 })
        .catch((err: unknown) => err as NetError);
      if (!(a instanceof NetError)) {
        if (a.status === 200)
          out.push(
            f.pass('upload_ok', `The upload ${uploadId} exists and belongs to this key's project.`, undefined, {
              size: a.headers['content-length'],
            }),
          );
        else if (a.status === 403 || a.status === 404) {
          out.push(
            f.fail(
              'upload_expired',
              `The upload ${uploadId} is gone or not this key's: uploads no transcript uses are deleted after 24 h, deleting a transcript deletes its upload, and uploads belong to the uploading key's project.`,
              'Upload the file again, with the same key you create the transcript with.',
              { status: a.status },
            ),
          );
        }
        return out;
      }
    }
  }

  const expiry = presignedExpiry(u);
  if (expiry) {
    const left = Math.round((expiry.getTime() - Date.now()) / 1000);
    if (left <= 0) {
      return [
        ...out,
        f.fail(
          'url_expired',
          `The pre-signed URL expired ${fmtDuration(-left * 1000)} ago (${expiry.toISOString()}).`,
          'Make a fresh pre-signed URL valid for several hours (the service fetches it when the job starts), or upload the file.',
          { expires_at: expiry.toISOString() },
        ),
      ];
    }
    if (left < 3600) {
      out.push(
        f.warn(
          'url_expiring',
          `The pre-signed URL expires in ${fmtDuration(left * 1000)}.`,
          'Sign it for several hours: a queued job fetches the file only when it starts.',
          { expires_at: expiry.toISOString() },
        ),
      );
    }
  }

  // Private addresses: a remote service cannot reach them; Earshot in public mode refuses them.
  const serverView = ctx.vantage === 'server';
  if (!serverView) {
    let addresses: string[];
    try {
      addresses = await resolveAll(u.hostname);
    } catch (err) {
      return [
        ...out,
        f.fail(
          'url_dns_failed',
          `${u.hostname} does not resolve (${(err as NodeJS.ErrnoException).code}).`,
          'Check the host name in the URL.',
        ),
      ];
    }
    const hidden = addresses.filter((a) => isForbiddenAddress(a));
    if (hidden.length > 0) {
      const evidence = { addresses };
      if (ctx.kind === 'assemblyai') {
        return [
          ...out,
          f.fail(
            'url_private',
            `${u.hostname} resolves to ${hidden[0]}, a private address AssemblyAI's servers cannot reach.`,
            UPLOAD_FIX,
            evidence,
          ),
        ];
      }
      if (isLoopbackHost(u.hostname) && !isLoopbackHost(ctx.base.hostname)) {
        return [
          ...out,
          f.fail(
            'url_localhost_remote',
            `${u.hostname} in audio_url means the server's own machine (${ctx.base.host}), not yours.`,
            UPLOAD_FIX,
            evidence,
          ),
        ];
      }
      out.push(
        f.warn(
          'url_private',
          `${u.hostname} is a private address (${hidden[0]}): only a server on the same network, not in public mode (EARSHOT_PUBLIC), can fetch it.`,
          UPLOAD_FIX,
          evidence,
        ),
      );
    }
  }

  let got: Fetched;
  try {
    got = await fetchHead(u.href, ctx, serverView && (ctx.server?.publicMode ?? false));
  } catch (err) {
    const e = classifyNetError(err);
    if (e.kind === 'forbidden') {
      return [
        ...out,
        f.fail(
          'url_private',
          `This server runs in public mode (EARSHOT_PUBLIC=true) and refuses ${u.hostname}: it is a private address (${e.message}).`,
          UPLOAD_FIX,
          { code: e.code },
        ),
      ];
    }
    const what =
      e.kind === 'dns'
        ? 'does not resolve'
        : e.kind === 'refused'
          ? 'refuses connections'
          : e.kind === 'timeout'
            ? 'does not answer'
            : e.kind === 'tls'
              ? `has a TLS problem (${e.code})`
              : `fails (${e.code ?? e.message})`;
    return [
      ...out,
      f.fail(
        'url_unreachable',
        `${u.host} ${what}${serverView ? ' from the server' : ''}.`,
        `Host the file where the service can fetch it, ${OR_UPLOAD}.`,
        { kind: e.kind, code: e.code },
      ),
    ];
  }
  const redirects = got.hops.length - 1;
  if (got.status === 310 || redirects > MAX_REDIRECTS) {
    return [
      ...out,
      f.fail(
        'url_too_many_redirects',
        `${url} redirects ${redirects} times; Earshot follows at most ${MAX_REDIRECTS} by default.`,
        'Use the final URL of the chain directly.',
        { hops: got.hops },
      ),
    ];
  }
  if (!serverView && ctx.kind === 'assemblyai' && redirects > 0) {
    const finalHost = new URL(got.finalUrl).hostname;
    const hidden = (await resolveAll(finalHost).catch(() => [])).find((a) => isForbiddenAddress(a));
    if (hidden)
      return [
        ...out,
        f.fail('url_private', `${url} redirects to ${finalHost} (${hidden}), a private address the service cannot reach.`, UPLOAD_FIX, {
          hops: got.hops,
        }),
      ];
  }
  if (got.status < 200 || got.status > 299) return [...out, httpFinding(url, got.status, got.finalUrl)];
  const type = got.head.length > 0 ? await sniffBytes(got.head) : null;
  const evidence = {
    final_url: got.finalUrl,
    hops: got.hops,
    content_type: got.headers['content-type'] ?? null,
    bytes: got.totalBytes,
    sniffed: type?.mime ?? null,
  };
  if (!type || type.kind === 'empty')
    return [...out, f.fail('url_empty', `${url} answers with an empty body.`, 'Check that the file was written completely.', evidence)];
  if (type.kind === 'document') {
    if (type.mime === 'text/html')
      return [
        ...out,
        f.fail(
          'url_html',
          `${url} returns a web page (HTML), not audio: the transcript would fail with "File does not appear to contain audio".`,
          htmlFix(url),
          evidence,
        ),
      ];
    return [
      ...out,
      f.fail(
        'url_not_audio',
        `${url} returns ${type.mime} (${type.description}), not audio.`,
        'Link to the audio or video file itself.',
        evidence,
      ),
    ];
  }
  if (got.totalBytes !== null && got.totalBytes > MAX_URL_BYTES) {
    return [
      ...out,
      f.fail(
        'url_too_large',
        `${url} is ${fmtBytes(got.totalBytes)}; the limit for audio_url is 5 GB.`,
        'Compress it (ffmpeg -i in -ac 1 -b:a 64k out.mp3) or split it.',
        evidence,
      ),
    ];
  }
  if (redirects > 0)
    out.push(
      f.info(
        'url_redirects',
        `${url} redirects ${redirects} time(s) before the file (followed, up to ${MAX_REDIRECTS}).`,
        undefined,
        evidence,
      ),
    );
  out.push(
    f.pass(
      'url_ok',
      `${serverView ? 'The server fetches' : 'Fetched'} ${got.finalUrl === u.href ? url : got.finalUrl}: ${type.mime === 'application/octet-stream' ? 'media' : type.mime}${got.totalBytes !== null ? `, ${fmtBytes(got.totalBytes)}` : ''}.`,
      undefined,
      evidence,
    ),
  );
  return out;
}
