import { Framer } from './vad.js';

/** 20 ms hops at 16 kHz; each is judged over a 40 ms window, decimated to 8 kHz. */
const HOP = 320;
const HOP_MS = 20;
const WINDOW = 320;
/** Autocorrelation lags at 8 kHz: 50–400 Hz, the range of speaking voices. */
const MIN_LAG = 20;
const MAX_LAG = 160;
/** Pitch is kept this long (2 s): the tail before a pause is all that is judged. */
const HISTORY_FRAMES = 100;
/** The final stretch of voicing (160 ms) whose pitch movement is judged. */
const FINAL_FRAMES = 8;
/** Fewer voiced frames than this in it and pitch says nothing either way. */
const MIN_VOICED = 5;
/** Below this normalised autocorrelation a frame is unvoiced. */
const VOICING = 0.5;
/**
 * Where the final slope (semitones per 20 ms frame) says "complete" with probability 0.5, and how sharply it decides.
 * Fitted on the benchmark's labelled espeak-ng turns: statements fall by 0.1–0.7, mid-sentence stops hold or rise.
 */
const SLOPE_MIDPOINT = -0.03;
const SLOPE_SCALE = 10;
/** Voicing this far below the loudest heard is creak or breath, whose "pitch" is noise. */
const QUIET_DB = 25;

/**
 * Words a complete English sentence does not end on: articles and possessives, prepositions,
 * conjunctions and subject pronouns. A turn whose last recognised word is one is mid-clause.
 */
const CONTINUATION = new Set(
  (
    'a an the my your his her its our their this these those some any every each no ' +
    'of to at in on for with from by about into onto over under between through during without against toward towards upon across behind than ' +
    'and or but nor because if unless although though whereas while whether since until so ' +
    'i we they he she'
  ).split(' '),
);

interface Frame {
  endMs: number;
  /** 0 when unvoiced. */
  f0: number;
  db: number;
}

/**
 * How likely a live speaker's turn is over when they pause, from the recognised text (a last word
 * that needs something after it) and the pitch before the pause (a statement ends falling; a speaker
 * who stops mid-sentence holds it level or raises it, and so, alas, does a yes/no question).
 * Fed the same 16 kHz PCM as the VAD.
 */
export class TurnEndPredictor {
  private readonly framer = new Framer(HOP);
  private previous = new Int16Array(HOP);
  private frames: Frame[] = [];
  private positionMs = 0;

  push(pcm: Buffer): void {
    for (const hop of this.framer.frames(pcm)) {
      this.positionMs += HOP_MS;
      this.frames.push({ endMs: this.positionMs, ...pitch(this.previous, hop) });
      this.previous = hop.slice();
    }
    if (this.frames.length > 2 * HISTORY_FRAMES) this.frames = this.frames.slice(-HISTORY_FRAMES);
  }

  /** Probability (0–1) that the turn is complete, the speaker having said `words` and gone quiet at `speechEndMs`. */
  completeness(words: readonly { text: string }[], speechEndMs: number): number {
    const last = words[words.length - 1]?.text.toLowerCase();
    if (last !== undefined && CONTINUATION.has(last)) return 0.1;
    return this.prosody(speechEndMs);
  }

  /**
   * 0.5 without enough voicing to judge; else from the pitch movement over the last 160 ms of voicing:
   * a statement ends falling, a speaker who stops mid-sentence holds the pitch level or raises it.
   */
  private prosody(speechEndMs: number): number {
    const heard = this.frames.filter((f) => f.f0 > 0 && f.endMs <= speechEndMs);
    const loudest = Math.max(...heard.map((f) => f.db));
    const tail = heard
      .filter((f) => f.db > loudest - QUIET_DB)
      .slice(-FINAL_FRAMES)
      .map((f) => f.f0);
    if (tail.length < MIN_VOICED) return 0.5;
    const mid = median(tail);
    // Semitones from the tail's median; octave slips of the pitch tracker (beyond a fifth) are dropped.
    const st = tail.map((f) => 12 * Math.log2(f / mid)).filter((x) => Math.abs(x) < 7);
    return 1 / (1 + Math.exp(SLOPE_SCALE * (slopeOf(st) - SLOPE_MIDPOINT)));
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};

/** Least-squares slope of `ys` against their index, per step. */
function slopeOf(ys: number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - mx) * (ys[i]! - my);
    den += (i - mx) ** 2;
  }
  return num / den;
}

/** F0 (Hz) of the 40 ms window `previous` + `hop`, by normalised autocorrelation at 8 kHz (0 when unvoiced), and its level (dB). */
function pitch(previous: Int16Array, hop: Int16Array): { f0: number; db: number } {
  const x = new Float32Array(WINDOW);
  for (let i = 0; i < WINDOW; i++) {
    const src = i < WINDOW / 2 ? previous : hop;
    const j = (2 * i) % HOP;
    x[i] = (src[j]! + src[j + 1]!) / 2;
  }
  let mean = 0;
  for (const v of x) mean += v;
  mean /= WINDOW;
  let energy = 0;
  for (let i = 0; i < WINDOW; i++) {
    x[i]! -= mean;
    energy += x[i]! * x[i]!;
  }
  const db = 10 * Math.log10(energy / WINDOW + 1);
  // Quieter than about -50 dBFS: silence or breath.
  if (energy / WINDOW < 100) return { f0: 0, db };
  const r = new Float32Array(MAX_LAG + 1);
  let best = 0;
  for (let lag = MIN_LAG; lag <= MAX_LAG; lag++) {
    let sum = 0;
    let e1 = 0;
    let e2 = 0;
    for (let i = 0; i + lag < WINDOW; i++) {
      sum += x[i]! * x[i + lag]!;
      e1 += x[i]! * x[i]!;
      e2 += x[i + lag]! * x[i + lag]!;
    }
    r[lag] = sum / Math.sqrt(e1 * e2 + 1e-9);
    if (r[lag]! > r[best]!) best = lag;
  }
  if (best === 0 || r[best]! < VOICING) return { f0: 0, db };
  // The shortest lag nearly as strong as the best: a multiple of the period would halve the pitch.
  for (let lag = MIN_LAG + 1; lag < best; lag++) {
    if (r[lag]! >= 0.9 * r[best]! && r[lag]! >= r[lag - 1]! && r[lag]! >= r[lag + 1]!) return { f0: 8000 / lag, db };
  }
  return { f0: 8000 / best, db };
}
