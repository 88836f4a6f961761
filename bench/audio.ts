import { decodeAudio } from '../src/audio/decode.js';
import { wavHeader } from '../src/audio/wav.js';
import { createWriteStream, readdirSync, readFileSync, existsSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { run } from './util.js';

/** A file decoded to 16 kHz mono s16le, whole, as ffmpeg gives it. */
export async function pcmOf(file: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of decodeAudio(file).pcm) parts.push(b);
  return Buffer.concat(parts);
}

export const LIBRIVOX_DIR = '/usr/share/pocketsphinx/test/data/librivox';

/** The LibriVox test clips (3–7 s each, 16 kHz mono WAV). */
export function librivoxClips(): string[] {
  if (!existsSync(LIBRIVOX_DIR)) throw new Error(`${LIBRIVOX_DIR} is missing; install the pocketsphinx test data`);
  const clips = readdirSync(LIBRIVOX_DIR)
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .map((f) => path.join(LIBRIVOX_DIR, f));
  if (!clips.length) throw new Error(`no .wav clips in ${LIBRIVOX_DIR}`);
  return clips;
}

/**
 * Real speech of `seconds` length: the LibriVox clips concatenated, repeated and trimmed (sox).
 * Cached per length in `dir`.
 */
export async function speechFile(dir: string, seconds: number): Promise<string> {
  const out = path.join(dir, `speech-${seconds}s.wav`);
  if (existsSync(out)) return out;
  const base = path.join(dir, 'librivox-all.wav');
  if (!existsSync(base)) await run('sox', ['-R', ...librivoxClips(), base]);
  const baseSeconds = Number((await run('soxi', ['-D', base])).trim());
  const repeats = Math.max(0, Math.ceil(seconds / baseSeconds) - 1);
  await run('sox', ['-R', base, out, 'repeat', String(repeats), 'trim', '0', String(seconds)]);
  return out;
}

/** A short clip to warm engines and worker threads up with. */
export function warmupClip(): string {
  return librivoxClips()[0]!;
}

/** A 16 kHz mono s16le WAV of quiet noise, `totalBytes` long, written as a stream (1 MiB at a time). */
export async function bigWav(dir: string, totalBytes: number): Promise<string> {
  const out = path.join(dir, `noise-${totalBytes}.wav`);
  if (existsSync(out)) return out;
  const dataBytes = totalBytes - 44;
  const chunk = Buffer.alloc(1 << 20);
  let seed = 12345;
  for (let i = 0; i < chunk.length; i += 2) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    chunk.writeInt16LE((seed % 2001) - 1000, i);
  }
  const ws = createWriteStream(out);
  ws.write(wavHeader(dataBytes, 16_000));
  let left = dataBytes;
  while (left > 0) {
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    left -= piece.length;
    if (!ws.write(piece)) await once(ws, 'drain');
  }
  ws.end();
  await once(ws, 'finish');
  return out;
}

export interface ReferenceClip {
  id: string;
  wav: string;
  reference: string;
}

/** The LibriVox clips with their reference text from the test data's `transcription` file. */
export function librivoxReferenceClips(): ReferenceClip[] {
  const lines = readFileSync(path.join(LIBRIVOX_DIR, 'transcription'), 'utf8').split('\n').filter(Boolean);
  return lines.map((line) => {
    const m = /^<s>\s*(.*?)\s*<\/s>\s*\((.+)\)$/.exec(line.trim());
    if (!m) throw new Error(`unexpected transcription line: ${line}`);
    return { id: m[2]!, wav: path.join(LIBRIVOX_DIR, `${m[2]}.wav`), reference: m[1]! };
  });
}

/** What JFK says in whisper.cpp's `samples/jfk.wav`. */
export const JFK_TEXT = 'and so my fellow americans ask not what your country can do for you ask what you can do for your country';

/** JFK's line spoken by espeak-ng, as 16 kHz mono WAV (the real jfk.wav is not on this machine). */
export async function jfkLikeClip(dir: string): Promise<ReferenceClip> {
  const wav = path.join(dir, 'jfk-espeak.wav');
  if (!existsSync(wav)) {
    const raw = path.join(dir, 'jfk-espeak-22k.wav');
    await run('espeak-ng', ['-w', raw, JFK_TEXT]);
    // sox writes the plain 44-byte header that pocketsphinx_continuous skips (ffmpeg adds a LIST chunk it would decode).
    await run('sox', ['-R', raw, '-r', '16000', '-c', '1', '-b', '16', wav]);
  }
  return { id: 'jfk-espeak', wav, reference: JFK_TEXT };
}

const execBuffer = promisify(execFile);

/**
 * espeak-ng saying `text` as 16 kHz s16le, its own leading and trailing quiet trimmed, between `leadMs` and `tailMs`
 * of digital silence: speech ends exactly at `speechEndMs`.
 */
export async function espeakSpeech(text: string, leadMs: number, tailMs: number): Promise<{ audio: Buffer; speechEndMs: number }> {
  const { stdout: wav } = await execBuffer('espeak-ng', ['--stdout', text], { encoding: 'buffer', maxBuffer: 1 << 26 });
  const trim = 'silenceremove=start_periods=1:stop_periods=-1:start_threshold=-60dB:stop_threshold=-60dB';
  const child = execBuffer('ffmpeg', ['-loglevel', 'error', '-i', '-', '-af', trim, '-f', 's16le', '-ac', '1', '-ar', '16000', '-'], {
    encoding: 'buffer',
    maxBuffer: 1 << 26,
  });
  child.child.stdin!.end(wav);
  const { stdout: pcm } = await child;
  const silence = (ms: number) => Buffer.alloc(ms * 32);
  return { audio: Buffer.concat([silence(leadMs), pcm, silence(tailMs)]), speechEndMs: leadMs + pcm.length / 32 };
}
