/** Signal measures the engines share: float samples, frame loudness, and confidence from loudness where a model gives none. */
import { SAMPLE_RATE } from './engine.js';

/** Samples in a 10 ms frame. */
export const FRAME = SAMPLE_RATE / 100;

/** s16le → floats in [-1, 1]. Reads byte-wise since a concatenated Buffer may be unaligned. */
export function toFloat32(pcm: Buffer): Float32Array {
  const out = new Float32Array(pcm.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = pcm.readInt16LE(i * 2) / 32768;
  return out;
}

/** Loudness (dB) of each 10 ms frame. */
export function frameDb(samples: Float32Array): Float32Array {
  const out = new Float32Array(Math.ceil(samples.length / FRAME));
  for (let f = 0; f < out.length; f++) {
    let sum = 0;
    const end = Math.min(samples.length, (f + 1) * FRAME);
    for (let i = f * FRAME; i < end; i++) sum += samples[i]! * samples[i]!;
    out[f] = 10 * Math.log10(sum / Math.max(1, end - f * FRAME) + 1e-10);
  }
  return out;
}

const NOISE_FLOOR_DB = -60;

/**
 * A word's confidence when the model gives no token probabilities (CTC, whisper, Moonshine and SenseVoice
 * in sherpa-onnx 1.13.8; whisper.cpp through @napi-rs/whisper): how far the word's audio stands above the file's noise floor (its 10th-percentile
 * frame, at least -60 dBFS), 0 dB giving 0 and 40 dB or more 1. It measures how clearly the word was heard, not how sure the
 * model is of it.
 */
export function acousticConfidence(db: Float32Array): (startMs: number, endMs: number) => number {
  const sorted = Float32Array.from(db).sort();
  // Digital silence is no floor to measure speech against: no quieter than a quiet room's recording (-60 dBFS).
  const floor = Math.max(NOISE_FLOOR_DB, sorted.length ? sorted[Math.floor(sorted.length * 0.1)]! : NOISE_FLOOR_DB);
  return (startMs, endMs) => {
    const a = Math.max(0, Math.floor(startMs / 10));
    const b = Math.min(db.length, Math.max(a + 1, Math.ceil(endMs / 10)));
    let sum = 0;
    for (let f = a; f < b; f++) sum += db[f]!;
    const mean = b > a ? sum / (b - a) : floor;
    return Math.round(Math.min(1, Math.max(0, (mean - floor) / 40)) * 1000) / 1000;
  };
}
