import { describe, expect, it } from 'vitest';
import { acousticConfidence, frameDb, toFloat32 } from '../../src/engines/acoustic.js';

describe('acoustic measures', () => {
  it('scores a word by how far it stands above the noise floor, from 0 to 1', () => {
    const samples = new Float32Array(16_000);
    for (let i = 0; i < 16_000; i++) samples[i] = (i < 8000 ? 0.001 : 0.3) * Math.sin(i / 5);
    const db = frameDb(samples);
    expect(db).toHaveLength(100);
    const heard = acousticConfidence(db);
    expect(heard(600, 900)).toBeGreaterThan(heard(100, 400));
    expect(heard(600, 900)).toBeLessThanOrEqual(1);
    expect(heard(100, 400)).toBeGreaterThanOrEqual(0);
    // Digital silence is no floor: a word over it is measured against -60 dBFS, so a faint one is not "sure".
    const quiet = acousticConfidence(frameDb(Float32Array.from({ length: 16_000 }, (_, i) => (i < 8000 ? 0 : 0.001 * Math.sin(i / 5)))));
    expect(quiet(600, 900)).toBeLessThan(0.3);
  });

  it('reads s16le from any byte offset', () => {
    const b = Buffer.alloc(7);
    b.writeInt16LE(-32768, 1);
    b.writeInt16LE(16384, 3);
    expect(Array.from(toFloat32(b.subarray(1)))).toEqual([-1, 0.5, 0]);
  });
});
