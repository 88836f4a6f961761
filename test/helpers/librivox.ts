import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { LIBRIVOX_DIR, librivoxReferenceClips, type ReferenceClip } from '../../bench/audio.js';
import type { EngineWord } from '../../src/engines/engine.js';
import { speechWord } from '../../src/engines/pocketsphinx.js';

const run = promisify(execFile);
export { LIBRIVOX_DIR };
export type Clip = ReferenceClip;

/** The LibriVox clips shipped by Debian's pocketsphinx-testdata, with their reference text. */
export const librivoxClips: () => Clip[] = librivoxReferenceClips;

/** pocketsphinx's own command-line recogniser on a 16 kHz WAV: the baseline Earshot must match. */
export async function pocketsphinxCli(wav: string): Promise<string> {
  return (await pocketsphinxCliWords(wav)).text;
}

/**
 * `pocketsphinx_continuous -time yes` with extra flags: its printed text, and its word lines as Earshot words
 * (the CLI prints a word's last frame as its end; Earshot's end is that frame's end, 10 ms later).
 */
export async function pocketsphinxCliWords(wav: string, args: Record<string, string> = {}): Promise<{ text: string; words: EngineWord[] }> {
  const flags = Object.entries(args).flat();
  const { stdout } = await run('pocketsphinx_continuous', ['-infile', wav, '-time', 'yes', '-logfn', '/dev/null', ...flags], {
    maxBuffer: 1 << 24,
  });
  const hyps: string[] = [];
  const words: EngineWord[] = [];
  for (const line of stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const m = /^(\S+) (\d+\.\d{3}) (\d+\.\d{3}) (\d+\.\d+)$/.exec(line);
    if (!m) {
      hyps.push(line);
      continue;
    }
    const text = speechWord(m[1]!);
    if (text === null) continue;
    // The CLI prints logmath_exp of the posterior as is (1.000100 happens); a transcript's confidence is at most 1.
    const confidence = Math.min(1, Number(m[4]));
    words.push({ text, start: Math.round(Number(m[2]) * 1000), end: Math.round(Number(m[3]) * 1000) + 10, confidence });
  }
  return { text: hyps.join(' '), words };
}

/** Converts audio with the system ffmpeg (test fixtures only). */
export async function ffmpegConvert(input: string, output: string, args: string[] = []): Promise<string> {
  await run('ffmpeg', ['-y', '-loglevel', 'error', '-i', input, ...args, output]);
  return output;
}

/** The LibriVox clips joined `repeats` times into one WAV in `dir` (about 15 s of speech per repeat): a job long enough to interrupt. */
export async function longSpeech(dir: string, repeats: number): Promise<string> {
  const out = path.join(dir, `speech-x${repeats}.wav`);
  const clips = librivoxClips().map((c) => c.wav);
  await run('sox', ['-R', ...Array.from({ length: repeats }, () => clips).flat(), out]);
  return out;
}

/** One of the LibriVox clips by the number that ends its name, e.g. "0870". */
export const librivoxClip = (n: string) => path.join(LIBRIVOX_DIR, `sense_and_sensibility_01_austen_64kb-${n}.wav`);

/** An espeak-ng voice (female variant, high pitch) saying JFK's moon line, as a 16 kHz mono WAV in `dir`. */
export async function espeakVoice(dir: string): Promise<string> {
  const voice = path.join(dir, 'voice.wav');
  const voice16 = path.join(dir, 'voice16.wav');
  await run('espeak-ng', [
    '-v',
    'en-us+f4',
    '-p',
    '85',
    '-s',
    '150',
    '-w',
    voice,
    'We choose to go to the moon in this decade and do the other things, not because they are easy, but because they are hard.',
  ]);
  await run('sox', ['-R', voice, '-r', '16000', '-c', '1', '-b', '16', voice16]);
  return voice16;
}

/**
 * Two voices: a LibriVox reader, an espeak-ng voice (female variant, high pitch), the reader again, a second of
 * silence between. The handmade mean/std "embedding" tells these two apart (shorter clips of a few seconds it does not).
 */
export async function twoVoiceMix(dir: string): Promise<string> {
  const voice16 = await espeakVoice(dir);
  const silence = path.join(dir, 'silence.wav');
  const out = path.join(dir, 'two-voices.wav');
  await run('sox', ['-R', '-n', '-r', '16000', '-c', '1', '-b', '16', silence, 'trim', '0', '1.0']);
  await run('sox', ['-R', librivoxClip('0870'), silence, voice16, silence, librivoxClip('0920'), out]);
  return out;
}
