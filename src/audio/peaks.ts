import { decodeAudio } from './decode.js';

/**
 * Waveform peaks in the JSON format of BBC's audiowaveform (version 2, one channel, 8 bits):
 * `data` holds a min and a max per `samples_per_pixel` samples. Players such as peaks.js read it as is.
 */
export interface Peaks {
  version: 2;
  channels: 1;
  sample_rate: number;
  samples_per_pixel: number;
  bits: 8;
  length: number;
  data: number[];
}

const SAMPLE_RATE = 16_000;
/** First pass: 100 peaks a second, merged afterwards to at most MAX_PEAKS. */
const BASE_SAMPLES_PER_PEAK = 160;
/** An overview several screens wide, and a 2-hour file still under ~70 KB of JSON. */
export const MAX_PEAKS = 10_000;

/** Growable min/max store: a 2-hour file has 720 000 first-pass peaks, kept as int16 rather than JS numbers. */
class PeakBuffer {
  mins = new Int16Array(4096);
  maxs = new Int16Array(4096);
  length = 0;

  push(min: number, max: number): void {
    if (this.length === this.mins.length) {
      const grow = (a: Int16Array) => {
        const b = new Int16Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.mins = grow(this.mins);
      this.maxs = grow(this.maxs);
    }
    this.mins[this.length] = min;
    this.maxs[this.length] = max;
    this.length++;
  }
}

/** 16-bit sample to audiowaveform's 8 bits (arithmetic shift keeps the sign). */
const to8 = (v: number) => v >> 8;

/**
 * Decodes the whole file (not trimmed to audio_start_from/audio_end_at: word times are on the file's
 * clock, and the player plays the whole file) and reduces it to at most MAX_PEAKS min/max pairs.
 */
export async function computePeaks(file: string, signal?: AbortSignal): Promise<Peaks> {
  const { pcm } = decodeAudio(file, { signal });
  const peaks = new PeakBuffer();
  let min = 0;
  let max = 0;
  let inBucket = 0;
  for await (const chunk of pcm) {
    // Int16Array needs an even byte offset; Buffer.from copies to a fresh (aligned) allocation.
    const buf = chunk.byteOffset % 2 === 0 ? chunk : Buffer.from(chunk);
    const samples = new Int16Array(buf.buffer, buf.byteOffset, buf.length >> 1);
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i]!;
      if (inBucket === 0) min = max = s;
      else if (s < min) min = s;
      else if (s > max) max = s;
      if (++inBucket === BASE_SAMPLES_PER_PEAK) {
        peaks.push(min, max);
        inBucket = 0;
      }
    }
  }
  if (inBucket > 0) peaks.push(min, max);

  const factor = Math.max(1, Math.ceil(peaks.length / MAX_PEAKS));
  const length = Math.ceil(peaks.length / factor);
  const data = new Array<number>(length * 2);
  for (let p = 0; p < length; p++) {
    let lo = 32767;
    let hi = -32768;
    for (let i = p * factor; i < Math.min(peaks.length, (p + 1) * factor); i++) {
      if (peaks.mins[i]! < lo) lo = peaks.mins[i]!;
      if (peaks.maxs[i]! > hi) hi = peaks.maxs[i]!;
    }
    data[2 * p] = to8(lo);
    data[2 * p + 1] = to8(hi);
  }
  return { version: 2, channels: 1, sample_rate: SAMPLE_RATE, samples_per_pixel: BASE_SAMPLES_PER_PEAK * factor, bits: 8, length, data };
}
