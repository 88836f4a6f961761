import { describe, expect, it } from 'vitest';
import { melFilters, whisperLogMel } from '../../src/audio/whisper-mel.js';

const tone = (hz: number, seconds: number, amplitude = 0.5) =>
  Float32Array.from({ length: seconds * 16_000 }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / 16_000));

describe('Whisper log-mel', () => {
  it("has librosa's Slaney filterbank: 80 triangles over 0–8 kHz, each of area 2/(width in Hz) per bin", () => {
    const filters = melFilters(80);
    expect(filters).toHaveLength(80);
    expect(filters[0]).toHaveLength(201);
    // Triangles rise in frequency and reach the top of the 201 DFT bins.
    const peakBin = (row: Float64Array) => row.indexOf(Math.max(...row));
    const peaks = filters.map(peakBin);
    for (let m = 1; m < 80; m++) expect(peaks[m]).toBeGreaterThanOrEqual(peaks[m - 1]!);
    expect(peaks[79]).toBeGreaterThan(180);
    // Every filter passes something and nothing outside 0..8 kHz exists.
    for (const row of filters) expect(Math.max(...row)).toBeGreaterThan(0);
    // Worked by hand: 82 points 37.24 Hz apart (linear part of the scale); bin 1 (40 Hz) falls at 0.9256, times 2/74.47 Hz.
    expect(filters[0]![1]).toBeCloseTo(0.02486259, 5);
  });

  it('gives samples/160 frames, pads with zeros to padTo, and scales to at most (peak+4)/4 with an 8-decade floor', () => {
    const { data, frames } = whisperLogMel(tone(1000, 1), 80);
    expect(frames).toBe(100);
    const max = Math.max(...data);
    const min = Math.min(...data);
    expect(max - min).toBeLessThanOrEqual(2 + 1e-6); // 8 decades / 4
    const padded = whisperLogMel(tone(1000, 1), 80, 3000);
    expect(padded.frames).toBe(3000);
    expect(padded.data[3000 * 10 + 2999]).toBe(0);
    expect(padded.data[3000 * 10 + 50]).toBeCloseTo(data[100 * 10 + 50]!, 6);
  });

  it('puts a tone in the band that holds its frequency, and is the same on every run', () => {
    const loudestBand = (hz: number) => {
      const { data, frames } = whisperLogMel(tone(hz, 1), 80);
      const energy = Array.from({ length: 80 }, (_, m) => data[m * frames + 50]!);
      return energy.indexOf(Math.max(...energy));
    };
    const filters = melFilters(80);
    for (const hz of [300, 1000, 3000, 6000]) {
      const band = loudestBand(hz);
      // The loudest band's triangle is at its widest near the tone's bin (hz / 40 Hz per bin).
      const bin = Math.round(hz / 40);
      expect(filters[band]![bin]).toBeGreaterThan(0);
    }
    expect(loudestBand(300)).toBeLessThan(loudestBand(1000));
    expect(loudestBand(3000)).toBeLessThan(loudestBand(6000));
    expect(whisperLogMel(tone(440, 1), 80).data).toEqual(whisperLogMel(tone(440, 1), 80).data);
  });
});
