import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeAudio } from '../../audio/decode.js';
import { wavFile } from '../../audio/wav.js';

const run = promisify(execFile);
/** Short on purpose: every probe round transcribes and streams it, and that time is taken from users. */
const TEXT = 'Earshot status check.';
const RATE = 16_000;

export interface ProbeClip {
  /** A WAV file, uploaded by the transcription probe. */
  file: string;
  bytes: Buffer;
  /** The same audio as 16 kHz mono s16le, streamed by the streaming probe. */
  pcm: Buffer;
  source: 'espeak-ng' | 'tone';
}

/** A second and a half of tone bursts: enough for a job to finish, if no speech synthesiser is installed. */
function tone(): Buffer {
  const pcm = Buffer.alloc(RATE * 1.5 * 2);
  for (let i = 0; i < RATE * 1.5; i++) {
    const t = i / RATE;
    const on = Math.floor(t * 4) % 2 === 0;
    pcm.writeInt16LE(on ? Math.round(8000 * Math.sin(2 * Math.PI * (220 + 110 * Math.floor(t * 2)) * t)) : 0, i * 2);
  }
  return pcm;
}

async function collect(file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of decodeAudio(file).pcm) chunks.push(c);
  return Buffer.concat(chunks);
}

/** The probes' short clip, made on this machine: spoken by espeak-ng when present, else a synthetic tone. */
export async function makeClip(dir: string): Promise<ProbeClip> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'probe.wav');
  try {
    await run('espeak-ng', ['-w', file, TEXT], { timeout: 10_000 });
    return { file, bytes: await readFile(file), pcm: await collect(file), source: 'espeak-ng' };
  } catch {
    const pcm = tone();
    await writeFile(file, wavFile(pcm, RATE));
    return { file, bytes: await readFile(file), pcm, source: 'tone' };
  }
}
