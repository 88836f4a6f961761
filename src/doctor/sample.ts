import { readFileSync } from 'node:fs';
import { wavFile } from '../audio/wav.js';
import type { StreamEncoding } from './context.js';

/**
 * 2.4 s of real speech, 16 kHz G.711 mu-law (`assets/doctor-sample.ulaw`): a LibriVox recording of
 * Sense and Sensibility (public domain), from Debian's pocketsphinx-testdata. The doctor streams and
 * transcribes it when the user gives no audio of their own.
 */
const SAMPLE_FILE = new URL('../../assets/doctor-sample.ulaw', import.meta.url);
const SAMPLE_RATE = 16_000;
export const SAMPLE_TEXT = 'he was not an ill disposed young man';

/** G.711 mu-law byte → 16-bit sample. */
export function mulawToPcm(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const u = ~bytes[i]! & 0xff;
    const exponent = (u >> 4) & 7;
    const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
    out[i] = u & 0x80 ? -magnitude : magnitude;
  }
  return out;
}

/** 16-bit sample → G.711 mu-law byte. */
export function pcmToMulaw(samples: Int16Array): Buffer {
  const out = Buffer.alloc(samples.length);
  for (let i = 0; i < samples.length; i++) {
    let s = samples[i]!;
    const sign = s < 0 ? 0x80 : 0;
    if (s < 0) s = -s;
    s = Math.min(s, 32_635) + 0x84;
    let exponent = 7;
    for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
    const mantissa = (s >> (exponent + 3)) & 0x0f;
    out[i] = ~(sign | (exponent << 4) | mantissa) & 0xff;
  }
  return out;
}

/** Linear-interpolation resampling: enough for a test signal. */
export function resample(input: Int16Array, from: number, to: number): Int16Array {
  if (from === to) return input;
  const n = Math.max(1, Math.floor((input.length * to) / from));
  const out = new Int16Array(n);
  const step = from / to;
  for (let i = 0; i < n; i++) {
    const pos = i * step;
    const j = Math.floor(pos);
    const a = input[j] ?? 0;
    const b = input[j + 1] ?? a;
    out[i] = Math.round(a + (b - a) * (pos - j));
  }
  return out;
}

export function samplePcm16k(): Int16Array {
  return mulawToPcm(readFileSync(SAMPLE_FILE));
}

/** The speech sample as the bytes a client would stream at `rate` in `encoding`. */
export function sampleStream(rate: number, encoding: StreamEncoding): Buffer {
  const pcm = resample(samplePcm16k(), SAMPLE_RATE, rate);
  return encoding === 'pcm_mulaw' ? pcmToMulaw(pcm) : Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

export function sampleWav(): Buffer {
  const pcm = samplePcm16k();
  return wavFile(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), SAMPLE_RATE);
}
