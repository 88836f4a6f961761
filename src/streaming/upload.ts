import { parseWav } from '../audio/wav.js';
import { errors } from '../http/errors.js';
import type { TranscriptWord } from '../transcript/types.js';
import { StreamAudioConverter } from './audio.js';
import type { StreamingHub } from './hub.js';
import { DEFAULT_TURN_SETTINGS, LiveSession } from './session.js';

/** Upstream's sync API limits (docs: sync-stt/audio-requirements). */
export const MAX_UPLOAD_MS = 120_000;
export const MIN_UPLOAD_MS = 80;
const MAX_UPLOAD_BYTES = 40 * 1024 * 1024;
export const UPLOAD_SAMPLE_RATES: readonly number[] = [8000, 16000, 22050, 24000, 32000, 44100, 48000];
const WAV_TYPES = ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'];
/** Audio goes to the decoder in frames this long, so turns end between words even when it arrives in large pieces. */
const FRAME_MS = 100;
/** Metadata chunks before a WAV file's `data` may take this much; more is not a WAV file worth waiting for. */
const MAX_WAV_HEADER_BYTES = 1024 * 1024;

export interface PcmFormat {
  sampleRate: number;
  channels: number;
}

export interface UploadResult {
  /** Formatted (punctuated, cased) words, times in ms from the start of the audio. */
  words: TranscriptWord[];
  audioMs: number;
}

function checkFormat(f: PcmFormat): PcmFormat {
  if (!UPLOAD_SAMPLE_RATES.includes(f.sampleRate)) {
    throw errors.syncUnsupportedMedia(`sample rate ${f.sampleRate} Hz is not supported. Supported: ${UPLOAD_SAMPLE_RATES.join(', ')} Hz`);
  }
  if (f.channels !== 1 && f.channels !== 2)
    throw errors.syncUnsupportedMedia(`${f.channels} channels are not supported: send mono or stereo audio`);
  return f;
}

/** The format and first audio bytes of a WAV header read so far; null while more of it is needed. */
function readWavHeader(head: Buffer): { format: PcmFormat; data: Buffer; declaredBytes: number } | null {
  if (head.length >= 12 && (head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE')) {
    throw errors.syncBadAudio(
      'The audio is not a WAV file (no RIFF/WAVE header). Raw PCM needs the content type audio/pcm, and sample_rate and channels in the config',
    );
  }
  const wav = parseWav(head);
  if (!wav) {
    if (head.length > MAX_WAV_HEADER_BYTES)
      throw errors.syncBadAudio(`The WAV file has no data chunk in its first ${MAX_WAV_HEADER_BYTES} bytes`);
    return null;
  }
  if (wav.format !== 1 || wav.bitsPerSample !== 16) {
    throw errors.syncUnsupportedMedia(`WAV audio must be 16-bit PCM; this file is ${wav.bitsPerSample}-bit, format ${wav.format}`);
  }
  // A live recorder cannot know the size up front: 0 and 0xFFFFFFFF mean "until the end".
  const declared = head.readUInt32LE(wav.dataOffset - 4);
  return {
    format: checkFormat({ sampleRate: wav.sampleRate, channels: wav.channels }),
    data: head.subarray(wav.dataOffset),
    declaredBytes: declared === 0 || declared === 0xffffffff ? Infinity : declared,
  };
}

/** Frames decoded in order on one live session, as fast as the decoder goes, while the upload is read at network speed. */
class FrameQueue {
  private readonly frames: Buffer[] = [];
  private ended = false;
  private cancelled = false;
  private wake: (() => void) | null = null;
  readonly done: Promise<void>;
  /** The decoder's failure, seen by the reader at its next chunk. */
  failure: unknown = null;

  constructor(private readonly session: LiveSession) {
    this.done = this.run();
    this.done.catch((err: unknown) => (this.failure = err));
  }

  private async run(): Promise<void> {
    for (;;) {
      const frame = this.frames.shift();
      if (this.cancelled) return;
      if (frame) await this.session.audio(frame);
      else if (this.ended) return;
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    this.wake?.();
    this.wake = null;
  }

  push(frame: Buffer): void {
    this.frames.push(frame);
    this.notify();
  }

  end(): Promise<void> {
    this.ended = true;
    this.notify();
    return this.done;
  }

  /** Drops what is not decoded yet (the upload failed). */
  cancel(): Promise<void> {
    this.cancelled = true;
    this.notify();
    return this.done.catch(() => undefined);
  }
}

/**
 * Decodes an upload's audio part as it arrives (WAV, or raw 16-bit PCM in `pcm`'s format), on a
 * live session of the streaming decoders: every turn but the last is decoded while the rest is
 * still coming. The upload is read as fast as it comes, so the caps (120 s, 40 MB) fail as soon
 * as they are passed, and memory stays within them.
 */
export async function decodeUpload(
  hub: StreamingHub,
  audio: AsyncIterable<Buffer>,
  contentType: string,
  pcm: Partial<PcmFormat>,
): Promise<UploadResult> {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const isWav = WAV_TYPES.includes(type);
  if (!isWav && type !== 'audio/pcm') {
    throw errors.syncUnsupportedMedia(
      `The audio part is ${type || 'untyped'}: this server decodes WAV (audio/wav) or raw 16-bit little-endian PCM (audio/pcm)`,
    );
  }
  let format: PcmFormat | null = null;
  if (!isWav) {
    if (pcm.sampleRate === undefined || pcm.channels === undefined)
      throw errors.syncBadAudio('raw PCM audio requires sample_rate and channels in the config');
    format = checkFormat({ sampleRate: pcm.sampleRate, channels: pcm.channels });
  }
  const words: TranscriptWord[] = [];
  let session: LiveSession | null = null;
  let queue: FrameQueue | null = null;
  let converter: StreamAudioConverter | null = null;
  let head: Buffer = Buffer.alloc(0);
  let dataLeft = Infinity;
  let received = 0;
  let audioBytes = 0;
  let pending: Buffer = Buffer.alloc(0);
  let frameBytes = 0;
  try {
    for await (const chunk of audio) {
      if (queue?.failure) throw queue.failure;
      received += chunk.length;
      if (received > MAX_UPLOAD_BYTES)
        throw errors.syncAudioTooLarge(`The audio part is larger than the limit of ${MAX_UPLOAD_BYTES} bytes`);
      let data = chunk;
      if (!format) {
        head = Buffer.concat([head, chunk]);
        const wav = readWavHeader(head);
        if (!wav) continue;
        ({ format, data } = wav);
        dataLeft = wav.declaredBytes;
        head = Buffer.alloc(0);
      }
      // Chunks after a WAV file's sized `data` (LIST, id3) are not audio.
      if (data.length > dataLeft) data = data.subarray(0, dataLeft);
      dataLeft -= data.length;
      if (!session || !queue || !converter) {
        converter = new StreamAudioConverter('pcm_s16le', format.sampleRate, format.channels);
        frameBytes = Math.round((format.sampleRate * FRAME_MS) / 1000) * 2 * format.channels;
        session = new LiveSession(
          hub.pool.open(),
          hub.openVad(DEFAULT_TURN_SETTINGS.vad_threshold),
          converter,
          { ...DEFAULT_TURN_SETTINGS },
          { formatTurns: true, partials: false },
          (u) => {
            if (u.endOfTurn && u.formatted) words.push(...u.formatted);
          },
        );
        queue = new FrameQueue(session);
      }
      audioBytes += data.length;
      if (converter.durationMs(audioBytes) > MAX_UPLOAD_MS)
        throw errors.syncAudioTooLarge(`audio duration exceeds the limit of ${MAX_UPLOAD_MS} ms`);
      pending = pending.length ? Buffer.concat([pending, data]) : data;
      while (pending.length >= frameBytes) {
        queue.push(pending.subarray(0, frameBytes));
        pending = pending.subarray(frameBytes);
      }
    }
    if (!format) throw errors.syncBadAudio(head.length ? 'The WAV header is incomplete' : 'The audio part is empty');
    const sampleBytes = 2 * format.channels;
    if (audioBytes % sampleBytes)
      throw errors.syncBadAudio(`The PCM data is ${audioBytes} bytes, not a whole number of ${sampleBytes}-byte samples`);
    const audioMs = converter ? converter.durationMs(audioBytes) : 0;
    if (audioMs < MIN_UPLOAD_MS) throw errors.syncAudioTooShort(Math.round(audioMs));
    if (pending.length) queue!.push(pending);
    await queue!.end();
    await session!.finish();
    session = null;
    return { words, audioMs };
  } finally {
    if (session) {
      await queue?.cancel();
      await session.abandon();
    }
  }
}
