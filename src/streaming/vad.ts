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
