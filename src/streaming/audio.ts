import { SAMPLE_RATE } from '../engines/engine.js';

export type StreamEncoding = 'pcm_s16le' | 'pcm_mulaw';
export const ENCODINGS: readonly StreamEncoding[] = ['pcm_s16le', 'pcm_mulaw'];
export const MIN_SAMPLE_RATE = 8000;
export const MAX_SAMPLE_RATE = 48000;

/** G.711 mu-law byte → 16-bit linear sample. */
const MULAW = new Int16Array(256);
for (let i = 0; i < 256; i++) {
  const u = ~i & 0xff;
  const exponent = (u >> 4) & 7;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  MULAW[i] = u & 0x80 ? -magnitude : magnitude;
}

/**
 * Turns a client's audio frames (16-bit PCM or mu-law, 8–48 kHz, mono or interleaved channels) into
 * the engines' 16 kHz mono PCM. Stateful across frames: a partial sample frame and the resampler's position carry over.
 */
export class StreamAudioConverter {
  private carry: Buffer | null = null;
  /** Fractional read position into the input, relative to the start of the next frame. */
  private pos = 0;
  private last = 0;
  private readonly step: number;
  private readonly bytesPerSample: number;

  constructor(
    readonly encoding: StreamEncoding,
    readonly sampleRate: number,
    readonly channels = 1,
  ) {
    this.step = sampleRate / SAMPLE_RATE;
    this.bytesPerSample = encoding === 'pcm_mulaw' ? 1 : 2;
  }

  /** Milliseconds of audio in a frame of this encoding, rate and channel count. */
  durationMs(bytes: number): number {
    return (bytes / this.bytesPerSample / this.channels / this.sampleRate) * 1000;
  }

  convert(frame: Buffer): Buffer {
    const input = this.decode(frame);
    if (this.sampleRate === SAMPLE_RATE) return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    // Linear interpolation. Positions are in input samples from this frame's start; index -1 is
    // the previous frame's last sample, so output is continuous across frames.
    const out: number[] = [];
    const at = (i: number) => (i < 0 ? this.last : input[i]!);
    while (this.pos <= input.length - 1) {
      const i = Math.floor(this.pos);
      const frac = this.pos - i;
      const a = at(i);
      out.push(frac === 0 ? a : Math.round(a + (at(i + 1) - a) * frac));
      this.pos += this.step;
    }
    this.pos -= input.length;
    if (input.length) this.last = input[input.length - 1]!;
    return Buffer.from(Int16Array.from(out).buffer);
  }

  private decode(frame: Buffer): Int16Array {
    if (this.encoding === 'pcm_mulaw' && this.channels === 1) return Int16Array.from(frame, (b) => MULAW[b]!);
    let data = frame;
    if (this.carry) {
      data = Buffer.concat([this.carry, frame]);
      this.carry = null;
    }
    const frameBytes = this.bytesPerSample * this.channels;
    const whole = data.length - (data.length % frameBytes);
    if (whole < data.length) {
      this.carry = Buffer.from(data.subarray(whole));
      data = data.subarray(0, whole);
    }
    const read = this.encoding === 'pcm_mulaw' ? (at: number) => MULAW[data[at]!]! : (at: number) => data.readInt16LE(at);
    const samples = new Int16Array(whole / frameBytes);
    for (let i = 0; i < samples.length; i++) {
      // Channels are averaged: stereo is down-mixed, as upstream's sync API does.
      let sum = 0;
      for (let c = 0; c < this.channels; c++) sum += read(i * frameBytes + c * this.bytesPerSample);
      samples[i] = Math.round(sum / this.channels);
    }
    return samples;
  }
}
