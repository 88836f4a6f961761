import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The Whisper-shaped language identification stand-in (make_whisper_lid_standin.py) written into `dir`, a directory
 * laid out as sherpa-onnx's whisper release archives are (encoder, decoder, tokens). `k` scales its logits.
 */
export function whisperLidStandin(dir: string, k = 10): string {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('/usr/bin/python3', [new URL('make_whisper_lid_standin.py', import.meta.url).pathname, String(k)], {
    env: { ...process.env, OUT: dir },
  });
  return path.resolve(dir);
}

/** Three seconds of hiss above 5 kHz, which the stand-in calls "fr", as a 16 kHz WAV in `dir`. */
export function hiss(dir: string): string {
  const file = path.join(dir, 'hiss.wav');
  execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', file, 'synth', '3', 'whitenoise', 'highpass', '5000', 'vol', '0.5']);
  return file;
}
