import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const LIBRIVOX_DIR = '/usr/share/pocketsphinx/test/data/librivox';

export interface Clip {
  id: string;
  wav: string;
  reference: string;
}

/** The LibriVox clips shipped by Debian's pocketsphinx-testdata, with their reference text. */
export function librivoxClips(): Clip[] {
  const lines = fs.readFileSync(path.join(LIBRIVOX_DIR, 'transcription'), 'utf8').split('\n').filter(Boolean);
  return lines.map((line) => {
    const m = /^<s>\s*(.*?)\s*<\/s>\s*\((.+)\)$/.exec(line.trim());
    if (!m) throw new Error(`unexpected transcription line: ${line}`);
    return { id: m[2], wav: path.join(LIBRIVOX_DIR, `${m[2]}.wav`), reference: m[1] };
  });
}

/** pocketsphinx's own command-line recogniser on a 16 kHz WAV: the baseline Earshot must match. */
export async function pocketsphinxCli(wav: string): Promise<string> {
  const { stdout } = await run('pocketsphinx_continuous', ['-infile', wav, '-logfn', '/dev/null'], { maxBuffer: 1 << 24 });
  return stdout.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
}

/** Converts audio with the system ffmpeg (test fixtures only). */
export async function ffmpegConvert(input: string, output: string, args: string[] = []): Promise<string> {
  await run('ffmpeg', ['-y', '-loglevel', 'error', '-i', input, ...args, output]);
  return output;
}
