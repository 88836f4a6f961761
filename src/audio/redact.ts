import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodeAudio } from './decode.js';
import { resolveFfmpeg } from './ffmpeg.js';

const SAMPLE_RATE = 16_000;
/** The beep: 1 kHz at a quarter of full scale (−12 dBFS), loud enough to mark the cut, not to hurt. */
export const BEEP_HZ = 1000;
export const BEEP_AMPLITUDE = 0.25;

export interface RedactAudioOptions {
  /** Audio time spans (ms, on the file's clock) to cover. */
  spans: readonly { start: number; end: number }[];
  method: 'beep' | 'silence';
  format: 'mp3' | 'wav';
  signal?: AbortSignal;
}

/**
 * Writes the audio of `file` to `out` with a beep (or silence) over each span, as MP3 or WAV: the
 * whole file as the engine heard it (16 kHz mono, through the same guarded decoder), so its length is
 * the original's and every span is covered to the sample. Streams through; never the whole file in
 * memory. To a file, not a pipe: ffmpeg writes the MP3's LAME header (encoder delay and padding,
 * which decoders trim to give back the exact length) only to seekable output.
 */
export async function redactAudio(file: string, out: string, opts: RedactAudioOptions): Promise<void> {
  const { pcm } = decodeAudio(file, { signal: opts.signal });
  const spans = opts.spans.map((s) => ({
    start: Math.floor((s.start * SAMPLE_RATE) / 1000),
    end: Math.ceil((s.end * SAMPLE_RATE) / 1000),
  }));
  async function* masked(): AsyncGenerator<Buffer> {
    let at = 0; // sample index of the chunk's first sample
    for await (const chunk of pcm) {
      const buf = Buffer.from(chunk);
      const n = buf.length / 2;
      for (const s of spans) {
        const from = Math.max(s.start, at);
        const to = Math.min(s.end, at + n);
        for (let i = from; i < to; i++) {
          const v = opts.method === 'beep' ? Math.round(BEEP_AMPLITUDE * 32767 * Math.sin((2 * Math.PI * BEEP_HZ * i) / SAMPLE_RATE)) : 0;
          buf.writeInt16LE(v, (i - at) * 2);
        }
      }
      at += n;
      yield buf;
    }
  }
  const codec = opts.format === 'mp3' ? ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'] : ['-c:a', 'pcm_s16le', '-f', 'wav'];
  const child = spawn(
    resolveFfmpeg(),
    [
      '-nostdin',
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      's16le',
      '-ar',
      String(SAMPLE_RATE),
      '-ac',
      '1',
      '-i',
      'pipe:0',
      ...codec,
      '-bitexact',
      '-y',
      out,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'], signal: opts.signal },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-2000)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  exited.catch(() => {}); // awaited below
  try {
    await pipeline(Readable.from(masked()), child.stdin);
  } catch (err) {
    child.kill('SIGKILL');
    await exited.catch(() => {});
    throw err;
  }
  const code = await exited;
  if (code !== 0) throw new Error(`ffmpeg could not encode the redacted audio (exit ${code}): ${stderr.trim()}`);
}
