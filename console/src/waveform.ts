import type { Peaks } from './api';
import { speakerColours, type Segment } from './transcript-text';

/**
 * The timeline: the server's peaks (one min/max per column), paragraphs as speaker-turn bands,
 * find hits as ticks, and the playhead. Without peaks (audio no longer stored) it is a plain bar.
 */
export class Waveform {
  private peaks: Peaks | null = null;
  private durationMs = 0;
  private segments: Segment[] = [];
  private hits: number[] = [];
  private timeMs = 0;
  /** min, max per device-pixel column, scaled to -1..1; recomputed when the size or peaks change. */
  private columns: Float32Array | null = null;

  constructor(private readonly canvas: HTMLCanvasElement) {}

  setPeaks(peaks: Peaks | null): void {
    this.peaks = peaks;
    this.columns = null;
  }
  setDuration(ms: number): void {
    if (ms > 0 && ms !== this.durationMs) {
      this.durationMs = ms;
      this.columns = null;
    }
  }
  setSegments(segments: Segment[]): void {
    this.segments = segments;
  }
  setHits(ms: number[]): void {
    this.hits = ms;
  }
  setTime(ms: number): void {
    this.timeMs = ms;
  }
  get duration(): number {
    return this.durationMs;
  }

  /** Time at a horizontal position in CSS pixels. */
  timeAt(x: number): number {
    const w = this.canvas.clientWidth;
    return w > 0 ? Math.min(1, Math.max(0, x / w)) * this.durationMs : 0;
  }

  private computeColumns(width: number): Float32Array | null {
    const p = this.peaks;
    if (!p || p.length === 0 || this.durationMs <= 0) return null;
    const msPerPeak = (p.samples_per_pixel / p.sample_rate) * 1000;
    let scale = 1;
    for (const v of p.data) scale = Math.max(scale, Math.abs(v));
    const cols = new Float32Array(width * 2);
    for (let x = 0; x < width; x++) {
      const from = Math.floor(((x / width) * this.durationMs) / msPerPeak);
      const to = Math.max(from + 1, Math.floor((((x + 1) / width) * this.durationMs) / msPerPeak));
      let lo = 0;
      let hi = 0;
      for (let i = from; i < Math.min(to, p.length); i++) {
        lo = Math.min(lo, p.data[2 * i]!);
        hi = Math.max(hi, p.data[2 * i + 1]!);
      }
      cols[2 * x] = lo / scale;
      cols[2 * x + 1] = hi / scale;
    }
    return cols;
  }

  draw(): void {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(c.clientWidth * dpr));
    const h = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
      this.columns = null;
    }
    this.columns ??= this.computeColumns(w);
    const g = c.getContext('2d');
    if (!g) return;
    const css = getComputedStyle(c);
    const color = (name: string) => css.getPropertyValue(name).trim() || '#888';
    g.clearRect(0, 0, w, h);
    const x = (ms: number) => (this.durationMs > 0 ? (ms / this.durationMs) * w : 0);
    const playX = x(this.timeMs);

    // Speaker turns: a band per paragraph under the wave, one colour per speaker (or alternating).
    const band = Math.round(5 * dpr);
    const colours = speakerColours(this.segments.map((s) => s.speaker));
    this.segments.forEach((s, i) => {
      const n = s.speaker === null ? i % 2 : colours.get(s.speaker)!;
      g.fillStyle = color(`--turn-${n}`);
      g.fillRect(x(s.start), h - band, Math.max(1, x(s.end) - x(s.start)), band);
    });

    const mid = (h - band) / 2;
    const amp = mid - dpr;
    const cols = this.columns;
    if (cols) {
      const played = color('--wave-played');
      const rest = color('--wave');
      for (let col = 0; col < w; col++) {
        const top = mid - cols[2 * col + 1]! * amp;
        const bottom = mid - cols[2 * col]! * amp;
        g.fillStyle = col < playX ? played : rest;
        g.fillRect(col, top, 1, Math.max(dpr, bottom - top));
      }
    } else {
      g.fillStyle = color('--wave');
      g.fillRect(0, mid - dpr, w, 2 * dpr);
      g.fillStyle = color('--wave-played');
      g.fillRect(0, mid - dpr, playX, 2 * dpr);
    }

    g.fillStyle = color('--hit-mark');
    for (const t of this.hits) g.fillRect(Math.round(x(t)) - dpr, 0, 2 * dpr, h - band);

    g.fillStyle = color('--playhead');
    g.fillRect(Math.round(playX) - dpr, 0, 2 * dpr, h);
  }
}
