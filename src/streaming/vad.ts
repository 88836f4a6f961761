import { SAMPLE_RATE } from '../engines/engine.js';
import { findModel } from '../models/store.js';

/** The Silero model file `EARSHOT_VAD_MODEL` names, if installed; null means the energy detector. */
export async function findVadModel(config: { dataDir: string; vadModel: string | null }): Promise<string | null> {
  return config.vadModel ? findModel(config.dataDir, config.vadModel) : null;
}

/**
 * Says how long a live speaker has been quiet, for turn endpointing. The recogniser keeps its own,
 * slower segmentation (so live text matches async text); a VAD only times the silence.
 */
export interface Vad {
  /** `vad_threshold` (0–1): how sure a frame must be to count as speech. */
  threshold: number;
  /** Audio time (ms) at the end of the last frame heard as speech. */
  readonly lastSpeechMs: number;
  /** Whether silence may be timed from `lastSpeechMs` alone; if not, the recogniser's last word also counts. */
  readonly trusted: boolean;
  /** Samples per frame it judges. */
  readonly frameSamples: number;
  /** Feeds 16 kHz s16le PCM, in order. */
  push(pcm: Buffer): Promise<void>;
}

/** Cuts s16le PCM into fixed-size frames, keeping the remainder for the next push. */
export class Framer {
  private pending: Int16Array = new Int16Array(0);

  constructor(private readonly size: number) {}

  frames(pcm: Buffer): Int16Array[] {
    const input = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length >> 1);
    const samples = new Int16Array(this.pending.length + input.length);
    samples.set(this.pending);
    samples.set(input, this.pending.length);
    const out: Int16Array[] = [];
    let i = 0;
    for (; i + this.size <= samples.length; i += this.size) out.push(samples.subarray(i, i + this.size));
    this.pending = samples.slice(i);
    return out;
  }
}

const FRAME = SAMPLE_RATE / 50; // 20 ms
const FRAME_MS = 20;

/**
 * The fallback when no Silero model is installed: follows the noise floor and calls a frame speech
 * when it stands far enough above it; `threshold` sets how far.
 */
export class EnergyVad implements Vad {
  lastSpeechMs = 0;
  /** Noise and breaths can fool it either way. */
  readonly trusted = false;
  readonly frameSamples = FRAME;
  private floorDb: number | null = null;
  private readonly framer = new Framer(FRAME);
  private positionMs = 0;

  constructor(public threshold: number) {}

  async push(pcm: Buffer): Promise<void> {
    for (const frame of this.framer.frames(pcm)) this.frame(frame);
  }

  private frame(frame: Int16Array): void {
    let sum = 0;
    for (const s of frame) sum += s * s;
    const db = 10 * Math.log10(sum / frame.length + 1);
    this.positionMs += FRAME_MS;
    // The floor drops at once to quieter frames and rises slowly (about 3 dB/s) through speech.
    this.floorDb = this.floorDb === null ? db : Math.min(db, this.floorDb + 0.06);
    const margin = 6 + 14 * this.threshold;
    if (db > this.floorDb + margin && db > 35) this.lastSpeechMs = this.positionMs;
  }
}

/**
 * The fraction of an audio file a VAD hears as speech, for `speech_threshold`. Fed one VAD frame at a time, so
 * a frame is speech exactly when it moves the VAD's `lastSpeechMs`.
 */
export class SpeechMeter {
  private readonly framer: Framer;
  private frames = 0;
  private speechFrames = 0;
  private carry = Buffer.alloc(0);

  constructor(private readonly vad: Vad) {
    this.framer = new Framer(vad.frameSamples);
  }

  async push(pcm: Buffer): Promise<void> {
    // Decoder output may sit at an odd offset or split a sample: copy whole samples to an aligned buffer.
    const data = this.carry.length ? Buffer.concat([this.carry, pcm]) : pcm;
    const even = data.length - (data.length % 2);
    this.carry = Buffer.from(data.subarray(even));
    const aligned = Buffer.from(new Uint8Array(data.subarray(0, even)).buffer);
    for (const frame of this.framer.frames(aligned)) {
      const before = this.vad.lastSpeechMs;
      await this.vad.push(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
      this.frames++;
      if (this.vad.lastSpeechMs > before) this.speechFrames++;
    }
  }

  get fraction(): number {
    return this.frames ? this.speechFrames / this.frames : 0;
  }
}

/** Upstream's `error` for a file with less speech than `speech_threshold` asks for. */
export function speechThresholdError(fraction: number, threshold: number): string {
  const show = (x: number) => (Number.isInteger(x) ? x.toFixed(1) : String(x));
  return `Audio speech threshold ${show(Math.round(fraction * 10_000) / 10_000)} is below the requested speech threshold value ${show(threshold)}`;
}
