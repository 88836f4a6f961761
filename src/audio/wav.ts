/** The 44-byte header of a mono 16-bit PCM WAV file holding `dataBytes` of samples. */
export function wavHeader(dataBytes: number, sampleRate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28); // byte rate
  h.writeUInt16LE(2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** A mono 16-bit WAV file of `pcm` (s16le bytes). */
export function wavFile(pcm: Buffer, sampleRate: number): Buffer {
  return Buffer.concat([wavHeader(pcm.length, sampleRate), pcm]);
}

export interface WavInfo {
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  dataOffset: number;
  dataBytes: number;
}

/** The fmt and data chunks of a RIFF/WAVE file (WAVE_FORMAT_EXTENSIBLE read through to its subformat). */
export function parseWav(b: Buffer): WavInfo | null {
  if (b.length < 12 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') return null;
  let fmt: Omit<WavInfo, 'dataOffset' | 'dataBytes'> | null = null;
  for (let off = 12; off + 8 <= b.length; ) {
    const id = b.toString('latin1', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'fmt ' && off + 24 <= b.length) {
      let format = b.readUInt16LE(off + 8);
      if (format === 0xfffe && off + 34 <= b.length) format = b.readUInt16LE(off + 32);
      fmt = { format, channels: b.readUInt16LE(off + 10), sampleRate: b.readUInt32LE(off + 12), bitsPerSample: b.readUInt16LE(off + 22) };
    } else if (id === 'data' && fmt) {
      return { ...fmt, dataOffset: off + 8, dataBytes: Math.min(size, b.length - off - 8) };
    }
    off += 8 + size + (size & 1);
  }
  return null;
}
