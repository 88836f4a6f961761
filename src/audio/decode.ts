import { spawn } from 'node:child_process';
import { open, type FileHandle } from 'node:fs/promises';
import { resolveFfmpeg, resolveFfprobe } from './ffmpeg.js';

/** 16 kHz mono s16le: 16 000 samples/s × 2 bytes. */
const BYTES_PER_MS = 32;
/** Upstream rejects audio under 160 ms. */
const MIN_DURATION_MS = 160;
const MIN_PCM_BYTES = MIN_DURATION_MS * BYTES_PER_MS;
/** How much of a file `sniffFileType` reads. */
export const SNIFF_BYTES = 4096;
/** Enough of ffmpeg's complaints to diagnose a failure without letting a noisy file grow memory. */
const STDERR_TAIL_CHARS = 4096;
const PROBE_TIMEOUT_MS = 60_000;

export const TOO_SHORT_MESSAGE = 'Audio duration is too short.';

/** The input is not usable audio. `message` is upstream's text, fit for the transcript's `error`. */
export class AudioError extends Error {
  override name = 'AudioError';
  /** ffmpeg's stderr tail or similar, for logs only. */
  readonly detail?: string;

  constructor(message: string, detail?: string) {
    super(message);
    if (detail) this.detail = detail;
  }
}

export interface FileType {
  /** libmagic-style MIME type, e.g. "text/html". */
  mime: string;
  /** libmagic-style description, e.g. "HTML document, ASCII text". */
  description: string;
  /** `media` and `unknown` go to ffmpeg; `empty` and `document` are refused without it. */
  kind: 'empty' | 'document' | 'media' | 'unknown';
}

function noAudio(type: FileType): string {
  return `File does not appear to contain audio. File type is ${type.mime} (${type.description}).`;
}

function ascii(buf: Buffer, start: number, end: number): string {
  return buf.toString('latin1', start, end);
}

function sniffMedia(b: Buffer): Omit<FileType, 'kind'> | null {
  const at = (offset: number, magic: string) => ascii(b, offset, offset + magic.length) === magic;
  if (at(0, 'RIFF') && at(8, 'WAVE')) return { mime: 'audio/x-wav', description: 'RIFF (little-endian) data, WAVE audio' };
  if (at(0, 'RIFF') && at(8, 'AVI ')) return { mime: 'video/x-msvideo', description: 'RIFF (little-endian) data, AVI' };
  if (at(0, 'FORM') && (at(8, 'AIFF') || at(8, 'AIFC'))) return { mime: 'audio/x-aiff', description: 'IFF data, AIFF audio' };
  if (at(0, 'ID3')) return { mime: 'audio/mpeg', description: `Audio file with ID3 version 2.${b[3] ?? 0}` };
  if (at(0, 'fLaC')) return { mime: 'audio/flac', description: 'FLAC audio bitstream data' };
  if (at(0, 'OggS')) return { mime: 'audio/ogg', description: 'Ogg data' };
  if (at(0, '#!AMR')) return { mime: 'audio/amr', description: 'Adaptive Multi-Rate Codec (GSM telephony)' };
  if (at(0, '.snd')) return { mime: 'audio/basic', description: 'Sun/NeXT audio data' };
  if (at(0, 'FLV')) return { mime: 'video/x-flv', description: 'Macromedia Flash Video' };
  if (at(4, 'ftyp')) {
    const brand = ascii(b, 8, 12);
    if (brand === 'qt  ') return { mime: 'video/quicktime', description: 'ISO Media, Apple QuickTime movie' };
    if (brand.startsWith('M4')) return { mime: 'audio/x-m4a', description: 'ISO Media, Apple iTunes ALAC/AAC-LC (.M4A) Audio' };
    return { mime: 'video/mp4', description: 'ISO Media' };
  }
  if (b.readUInt32BE(0) === 0x1a45dfa3) {
    return b.includes('webm') ? { mime: 'video/webm', description: 'WebM' } : { mime: 'video/x-matroska', description: 'Matroska data' };
  }
  if (b.readUInt32BE(0) === 0x3026b275) return { mime: 'video/x-ms-asf', description: 'Microsoft ASF' };
  if (b.length > 376 && b[0] === 0x47 && b[188] === 0x47 && b[376] === 0x47)
    return { mime: 'video/MP2T', description: 'MPEG transport stream data' };
  // MPEG audio frame sync; layer bits 00 mean AAC in ADTS framing.
  if (b[0] === 0xff && (b[1]! & 0xe0) === 0xe0) {
    return (b[1]! & 0x06) === 0
      ? { mime: 'audio/x-hx-aac-adts', description: 'ADTS, AAC' }
      : { mime: 'audio/mpeg', description: 'MPEG ADTS, layer III' };
  }
  return null;
}

function sniffDocument(b: Buffer, complete: boolean): Omit<FileType, 'kind'> | null {
  const at = (offset: number, magic: string) => ascii(b, offset, offset + magic.length) === magic;
  if (at(0, '%PDF-')) return { mime: 'application/pdf', description: `PDF document, version ${ascii(b, 5, 8)}` };
  if (at(0, 'PK\x03\x04')) return { mime: 'application/zip', description: 'Zip archive data' };
  if (at(0, '\x89PNG\r\n\x1a\n')) {
    const size = b.length >= 24 ? `, ${b.readUInt32BE(16)} x ${b.readUInt32BE(20)}` : '';
    return { mime: 'image/png', description: `PNG image data${size}` };
  }
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { mime: 'image/jpeg', description: 'JPEG image data' };
  if (at(0, 'GIF87a') || at(0, 'GIF89a')) return { mime: 'image/gif', description: 'GIF image data' };
  return sniffText(b, complete);
}

function sniffText(b: Buffer, complete: boolean): Omit<FileType, 'kind'> | null {
  // A multi-byte character cut by the sniff window is still text.
  const text = new TextDecoder('utf-8', { fatal: false }).decode(complete ? b : b.subarray(0, lastCharBoundary(b)));
  if (text.includes('\uFFFD') || /[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]/.test(text)) return null;
  const charset = /^[\x00-\x7f]*$/.test(text) ? 'ASCII text' : 'Unicode text, UTF-8 text';
  const head = text.replace(/^\uFEFF/, '').trimStart();
  if (/<(!doctype html|html|head|body|title|script)[\s>]/i.test(head.slice(0, 1024))) {
    return { mime: 'text/html', description: `HTML document, ${charset}` };
  }
  if (head.startsWith('<?xml')) return { mime: 'text/xml', description: `XML 1.0 document, ${charset}` };
  if (/^[[{]/.test(head) && (complete ? isJson(head) : /^(\{\s*"|\[)/.test(head))) {
    return { mime: 'application/json', description: 'JSON text data' };
  }
  return { mime: 'text/plain', description: charset };
}

function lastCharBoundary(b: Buffer): number {
  let i = b.length;
  // Step back over continuation bytes (10xxxxxx) to the lead byte, then drop it if its sequence is cut.
  while (i > 0 && i > b.length - 4 && (b[i - 1]! & 0xc0) === 0x80) i--;
  if (i > 0 && b[i - 1]! >= 0xc0) {
    const lead = b[i - 1]!;
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    if (b.length - (i - 1) < need) return i - 1;
  }
  return b.length;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Names a file's type from its first bytes, libmagic-style, for upstream's
 * "File type is …" message. Text-like files never reach ffmpeg: besides being
 * pointless, playlists (HLS, SDP) would make ffmpeg open other resources.
 */
export async function sniffFileType(path: string): Promise<FileType> {
  const fh = await open(path, 'r');
  try {
    return await sniffHandle(fh);
  } finally {
    await fh.close();
  }
}

async function sniffHandle(fh: FileHandle): Promise<FileType> {
  const buf = Buffer.alloc(SNIFF_BYTES);
  const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
  const complete = bytesRead < SNIFF_BYTES || (await fh.stat()).size === bytesRead;
  return sniffBytes(buf.subarray(0, bytesRead), complete);
}

/** `sniffFileType` of a file's first `SNIFF_BYTES` (fewer if `complete`, the whole file), wherever it is stored. */
export function sniffBytes(b: Buffer, complete: boolean): FileType {
  if (b.length === 0) return { mime: 'inode/x-empty', description: 'empty', kind: 'empty' };
  // Documents first: text is unambiguous, while short media magics (MPEG-TS is one "G") are not.
  const doc = sniffDocument(b, complete);
  if (doc) return { ...doc, kind: 'document' };
  const media = b.length >= 12 ? sniffMedia(b) : null;
  if (media) return { ...media, kind: 'media' };
  return { mime: 'application/octet-stream', description: 'data', kind: 'unknown' };
}

/**
 * Demuxers that read their one input and nothing else. ffmpeg's probe would otherwise pick any
 * demuxer it has, and some open further files named inside the input: concat/ffconcat, HLS, DASH,
 * image sequences, SDP/RTP, … A playlist (its text sniff defeated by one control byte) would read
 * a neighbouring upload, or itself over and over. A format not listed fails as "not audio".
 */
const SINGLE_FILE_DEMUXERS = [
  'aac',
  'ac3',
  'aiff',
  'amr',
  'amrnb',
  'amrwb',
  'ape',
  'asf',
  'au',
  'avi',
  'caf',
  'dsf',
  'dts',
  'dtshd',
  'eac3',
  'flac',
  'flv',
  'gsm',
  'ircam',
  'live_flv',
  'loas',
  'matroska',
  'mlp',
  'mov',
  'mp3',
  'mpc',
  'mpc8',
  'mpeg',
  'mpegts',
  'nistsphere',
  'ogg',
  'oma',
  'qcp',
  'rm',
  'shn',
  'sox',
  'tak',
  'truehd',
  'tta',
  'voc',
  'w64',
  'wav',
  'wv',
  'xwma',
].join(',');

/** The child's file descriptor for the input: the very file this process opened and sniffed. */
const INPUT_FD = 3;

/**
 * ffmpeg's input options. It reads the input through `/dev/fd/3`, which on Linux reopens the open
 * file itself, whatever its path now names; relative names inside it could only resolve into
 * `/dev/fd/`. Only the file protocol, so no URL is fetched; only single-file demuxers.
 */
function inputArgs(): string[] {
  return ['-protocol_whitelist', 'file', '-format_whitelist', SINGLE_FILE_DEMUXERS, '-i', `file:/dev/fd/${INPUT_FD}`];
}

/** Opens `path` once for both the sniff and ffmpeg, refusing documents and empty files before ffmpeg runs. */
async function openMedia(path: string): Promise<{ fh: FileHandle; type: FileType }> {
  const fh = await open(path, 'r');
  try {
    const type = await sniffHandle(fh);
    if (type.kind === 'empty' || type.kind === 'document') throw new AudioError(noAudio(type));
    return { fh, type };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

export interface DecodeOptions {
  /** `audio_start_from`, ms. */
  startMs?: number | null;
  /** `audio_end_at`, ms. */
  endMs?: number | null;
  /** One channel of the input (0 = left/first), for multichannel; null mixes all channels down to mono. */
  channel?: number | null;
  signal?: AbortSignal;
}

export interface DecodedAudio {
  /** 16 kHz mono s16le, every chunk a whole number of samples. Iterate once. */
  pcm: AsyncIterable<Buffer>;
  /**
   * Settles once `pcm` has been consumed: the decoded (post-trim) duration, or the same error
   * `pcm` threw. Rejects with an AbortError if the consumer stopped early.
   */
  done: Promise<{ durationMs: number }>;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function ffmpegArgs(startMs: number, endMs: number | null, channel: number | null): string[] {
  if (channel !== null && !(Number.isInteger(channel) && channel >= 0))
    throw new RangeError(`channel must be a non-negative integer, not ${channel}`);
  return [
    '-nostdin',
    '-hide_banner',
    '-nostats',
    '-loglevel',
    'error',
    ...(startMs > 0 ? ['-ss', seconds(startMs)] : []),
    ...inputArgs(),
    ...(endMs !== null ? ['-t', seconds(endMs - startMs)] : []),
    '-vn',
    '-sn',
    '-dn',
    // A plain copy of the one input channel (gain 1), sample for sample, not a mix.
    ...(channel !== null ? ['-af', `pan=mono|c0=c${channel}`] : []),
    '-ac',
    '1',
    '-ar',
    '16000',
    '-c:a',
    'pcm_s16le',
    '-f',
    's16le',
    'pipe:1',
  ];
}

async function* decodeStream(inputPath: string, opts: DecodeOptions): AsyncGenerator<Buffer, number> {
  const { signal } = opts;
  signal?.throwIfAborted();
  const startMs = Math.max(0, opts.startMs ?? 0);
  const endMs = opts.endMs ?? null;
  const { fh, type } = await openMedia(inputPath);
  try {
    if (endMs !== null && endMs - startMs < MIN_DURATION_MS) throw new AudioError(TOO_SHORT_MESSAGE);
    signal?.throwIfAborted();
    return yield* runDecoder(fh, type, ffmpegArgs(startMs, endMs, opts.channel ?? null), signal);
  } finally {
    await fh.close();
  }
}

async function* runDecoder(fh: FileHandle, type: FileType, args: string[], signal?: AbortSignal): AsyncGenerator<Buffer, number> {
  const child = spawn(resolveFfmpeg(), args, { stdio: ['ignore', 'pipe', 'pipe', fh.fd] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    stderr = (stderr + s).slice(-STDERR_TAIL_CHARS);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, sig) => resolve({ code, signal: sig }));
  });
  exited.catch(() => {}); // awaited below; this only keeps an early spawn error from being "unhandled"
  const kill = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', kill, { once: true });

  try {
    let total = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    // Async iteration pulls one chunk at a time, so ffmpeg blocks on a full pipe while the consumer is busy.
    for await (const chunk of child.stdout! as AsyncIterable<Buffer>) {
      signal?.throwIfAborted(); // don't hand out what was already piped once aborted
      total += chunk.length;
      pending.push(chunk);
      pendingBytes += chunk.length;
      // Hold back the first 160 ms so a too-short file yields nothing before its error.
      if (total < MIN_PCM_BYTES || pendingBytes < 2) continue;
      const joined = pending.length === 1 ? chunk : Buffer.concat(pending, pendingBytes);
      const even = pendingBytes & ~1;
      pending = even === pendingBytes ? [] : [joined.subarray(even)];
      pendingBytes -= even;
      yield joined.subarray(0, even);
    }
    const exit = await exited;
    signal?.throwIfAborted();
    if (exit.code !== 0) {
      throw new AudioError(noAudio(type), `ffmpeg exited with ${exit.code ?? exit.signal}: ${stderr.trim()}`);
    }
    if (total < MIN_PCM_BYTES) throw new AudioError(TOO_SHORT_MESSAGE);
    return Math.round(total / BYTES_PER_MS);
  } catch (err) {
    // Killing ffmpeg on abort can surface as a pipe error; report the abort instead.
    signal?.throwIfAborted();
    throw err;
  } finally {
    signal?.removeEventListener('abort', kill);
    if (child.exitCode === null && child.signalCode === null) {
      kill();
      await exited.catch(() => {});
    }
  }
}

/**
 * Streams `inputPath` as 16 kHz mono s16le through ffmpeg, trimmed to
 * [startMs, endMs). ffmpeg starts on the first pull and is killed on abort or when
 * the consumer stops early. Errors about the input are `AudioError`s.
 */
export function decodeAudio(inputPath: string, opts: DecodeOptions = {}): DecodedAudio {
  let resolveDone!: (v: { durationMs: number }) => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<{ durationMs: number }>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => {}); // the pcm consumer sees the same error; awaiting `done` is optional

  async function* pcm(): AsyncGenerator<Buffer, void> {
    try {
      resolveDone({ durationMs: yield* decodeStream(inputPath, opts) });
    } catch (err) {
      rejectDone(err);
      throw err;
    } finally {
      // No-op if already settled; otherwise the consumer returned early.
      rejectDone(new DOMException('PCM consumer stopped before the end of the audio', 'AbortError'));
    }
  }
  return { pcm: pcm(), done };
}

export interface AudioProbe {
  durationMs: number | null;
  /** ffmpeg's demuxer name(s), e.g. "mp3" or "mov,mp4,m4a,3gp,3g2,mj2". */
  container: string;
  /** Codec of the first audio stream; null (like channels and sampleRate) without one. */
  codec: string | null;
  channels: number | null;
  sampleRate: number | null;
  hasAudio: boolean;
  /** Cover art (attached pictures) does not count as video. */
  hasVideo: boolean;
}

/** Runs a probe with the open input as its fd 3; resolves with the exit code, rejects only if it could not run. */
function run(
  bin: string,
  args: string[],
  input: FileHandle,
  signal?: AbortSignal,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      stdio: ['ignore', 'pipe', 'pipe', input.fd],
      timeout: PROBE_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      signal,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-STDERR_TAIL_CHARS)));
    child.once('error', reject); // spawn failure or abort
    child.once('close', (code, sig) => {
      if (sig) reject(signal?.aborted ? signal.reason : new Error(`${bin} killed by ${sig}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

interface FfprobeOutput {
  format?: { format_name?: string; duration?: string };
  streams?: Array<{
    codec_type?: string;
    codec_name?: string;
    channels?: number;
    sample_rate?: string;
    duration?: string;
    disposition?: { attached_pic?: number };
  }>;
}

function fromFfprobe(out: FfprobeOutput): AudioProbe {
  const streams = out.streams ?? [];
  const audio = streams.find((s) => s.codec_type === 'audio');
  const duration = Number(out.format?.duration ?? audio?.duration);
  return {
    durationMs: Number.isFinite(duration) ? Math.round(duration * 1000) : null,
    container: out.format?.format_name ?? 'unknown',
    codec: audio?.codec_name ?? null,
    channels: audio?.channels ?? null,
    sampleRate: audio?.sample_rate ? Number(audio.sample_rate) : null,
    hasAudio: audio !== undefined,
    hasVideo: streams.some((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1),
  };
}

function channelCount(layout: string): number | null {
  const l = layout.trim();
  if (l.startsWith('mono')) return 1;
  if (l.startsWith('stereo')) return 2;
  if (l.startsWith('quad')) return 4;
  const n = /^(\d+) channels/.exec(l) ?? null;
  if (n) return Number(n[1]);
  const surround = /^(\d+)\.(\d+)/.exec(l);
  return surround ? Number(surround[1]) + Number(surround[2]) : null;
}

/** Parses `ffmpeg -i` stderr, for installs without ffprobe. Null when ffmpeg found no input. */
export function parseFfmpegInfo(stderr: string): AudioProbe | null {
  const input = /^Input #0, (.+), from '/m.exec(stderr);
  if (!input) return null;
  const d = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(stderr);
  const streams = [...stderr.matchAll(/^\s*Stream #0:\d+\S*: (Audio|Video): (.*)$/gm)];
  const audio = streams.find((m) => m[1] === 'Audio');
  const audioInfo = audio ? /^([^\s,]+).*?, (\d+) Hz, ([^,]+)/.exec(audio[2]!) : null;
  return {
    durationMs: d ? Math.round((Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3])) * 1000) : null,
    container: input[1]!,
    codec: audio ? /^[^\s,]+/.exec(audio[2]!)![0] : null,
    channels: audioInfo ? channelCount(audioInfo[3]!) : null,
    sampleRate: audioInfo ? Number(audioInfo[2]) : null,
    hasAudio: audio !== undefined,
    hasVideo: streams.some((m) => m[1] === 'Video' && !m[2]!.includes('(attached pic)')),
  };
}

/**
 * Describes a media file with ffprobe, or from `ffmpeg -i` when there is no ffprobe.
 * A file with no audio stream is described (hasAudio false), not refused; a file
 * ffmpeg cannot open at all throws an `AudioError` naming its type.
 */
export async function probeAudio(path: string, opts: { signal?: AbortSignal } = {}): Promise<AudioProbe> {
  const { fh, type } = await openMedia(path);
  try {
    const ffprobe = resolveFfprobe();
    if (ffprobe) {
      const args = ['-v', 'error', ...inputArgs(), '-print_format', 'json', '-show_format', '-show_streams'];
      const r = await run(ffprobe, args, fh, opts.signal);
      if (r.code !== 0) throw new AudioError(noAudio(type), r.stderr.trim());
      return fromFfprobe(JSON.parse(r.stdout) as FfprobeOutput);
    }
    // Without an output file ffmpeg always exits non-zero; the input description is still printed.
    const r = await run(resolveFfmpeg(), ['-nostdin', '-hide_banner', ...inputArgs()], fh, opts.signal);
    const info = parseFfmpegInfo(r.stderr);
    if (!info) throw new AudioError(noAudio(type), r.stderr.trim());
    return info;
  } finally {
    await fh.close();
  }
}
