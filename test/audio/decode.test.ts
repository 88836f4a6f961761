import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AudioError, decodeAudio, parseFfmpegInfo, probeAudio, sniffFileType } from '../../src/audio/decode.js';

let dir: string;
let speechMs: number;
const f = (name: string) => join(dir, name);

function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', ...args]);
}

/** ffmpeg processes that are children of this test process. */
function ffmpegChildren(): string[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('ffmpeg'));
  } catch {
    return []; // ps exits 1 when nothing matches
  }
}

async function decodeAll(path: string, opts: Parameters<typeof decodeAudio>[1] = {}) {
  const { pcm, done } = decodeAudio(path, opts);
  const chunks: Buffer[] = [];
  for await (const c of pcm) chunks.push(c);
  return { bytes: Buffer.concat(chunks).length, chunks, ...(await done) };
}

async function decodeError(path: string, opts: Parameters<typeof decodeAudio>[1] = {}): Promise<AudioError> {
  const { pcm, done } = decodeAudio(path, opts);
  let yielded = 0;
  const err = await (async () => {
    for await (const c of pcm) yielded += c.length;
  })().then(
    () => null,
    (e: unknown) => e,
  );
  expect(yielded).toBe(0);
  expect(err).toBeInstanceOf(AudioError);
  await expect(done).rejects.toBe(err);
  return err as AudioError;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'earshot-decode-'));
  execFileSync('espeak-ng', ['-w', f('speech.wav'), 'The quick brown fox jumps over the lazy dog. Speech to text is fun.']);
  // espeak-ng writes 22.05 kHz mono s16 with a 44-byte header.
  speechMs = ((statSync(f('speech.wav')).size - 44) / (22_050 * 2)) * 1000;
  ffmpeg('-i', f('speech.wav'), '-c:a', 'libmp3lame', f('speech.mp3'));
  ffmpeg('-i', f('speech.wav'), f('speech.flac'));
  ffmpeg('-i', f('speech.wav'), '-c:a', 'libvorbis', f('speech.ogg'));
  ffmpeg('-i', f('speech.wav'), '-c:a', 'aac', f('speech.m4a'));
  ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.1', f('short.wav'));
  ffmpeg('-f', 'lavfi', '-i', 'testsrc=duration=1:size=64x64:rate=10', '-c:v', 'mpeg4', f('video-only.mp4'));
  ffmpeg('-f', 'lavfi', '-i', 'testsrc=duration=1:size=64x64:rate=10', '-frames:v', '1', f('image.png'));
  ffmpeg(
    '-i',
    f('speech.wav'),
    '-i',
    f('image.png'),
    '-map',
    '0',
    '-map',
    '1',
    '-c:a',
    'libmp3lame',
    '-c:v',
    'mjpeg',
    '-disposition:v',
    'attached_pic',
    f('cover.mp3'),
  );
  // 30 min at 8 kHz: decodes to 57.6 MB of PCM, far more than any pipe buffer.
  ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=300:sample_rate=8000:duration=1800', f('long.wav'));
  await writeFile(f('page.html'), '<!DOCTYPE html>\n<html><head><title>Not found</title></head><body>404</body></html>\n');
  await writeFile(f('notes.txt'), 'just some words, not audio\n');
  await writeFile(f('data.json'), '{"error": "nope"}\n');
  await writeFile(f('doc.pdf'), '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n', 'latin1');
  await writeFile(f('empty.wav'), '');
  await writeFile(f('noise.bin'), Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 256)));
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('decodeAudio', () => {
  it.each(['speech.wav', 'speech.mp3', 'speech.flac', 'speech.ogg', 'speech.m4a'])('decodes %s to 16 kHz mono s16le', async (name) => {
    const { bytes, chunks, durationMs } = await decodeAll(f(name));
    expect(durationMs).toBe(Math.round(bytes / 32));
    expect(Math.abs(durationMs - speechMs)).toBeLessThan(80);
    expect(chunks.every((c) => c.length % 2 === 0)).toBe(true);
  });

  // Each through its own demuxer: the single-file demuxer list must keep the everyday containers.
  it.each([
    ['webm', ['-c:a', 'libopus']],
    ['wma', ['-c:a', 'wmav2']],
    ['aac', ['-c:a', 'aac']],
    ['aiff', []],
    ['mka', ['-c:a', 'libvorbis']],
    ['ts', ['-c:a', 'mp2']],
    ['mov', ['-c:a', 'aac']],
    ['caf', []],
    ['wv', ['-c:a', 'wavpack']],
    ['ac3', ['-c:a', 'ac3']],
  ])('decodes .%s', async (ext, codec) => {
    ffmpeg('-i', f('speech.wav'), ...codec, f(`speech-container.${ext}`));
    const { durationMs } = await decodeAll(f(`speech-container.${ext}`));
    // Raw ADTS has no edit list to drop the encoder's priming and padding frames (1024 samples each).
    expect(Math.abs(durationMs - speechMs)).toBeLessThan(150);
  });

  it('copies out one channel sample for sample (multichannel), and mixes them down without one', async () => {
    // Left: the speech; right: a shorter tone (SoX pads it with silence). Each decoded channel is that input exactly; the mix is neither.
    ffmpeg('-i', f('speech.wav'), '-ar', '16000', '-ac', '1', '-c:a', 'pcm_s16le', f('speech16.wav'));
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=1', '-c:a', 'pcm_s16le', f('tone.wav'));
    execFileSync('sox', ['-R', '-M', f('speech16.wav'), f('tone.wav'), f('two.wav')]);
    const pcm = async (path: string, opts: Parameters<typeof decodeAudio>[1] = {}) => Buffer.concat((await decodeAll(path, opts)).chunks);
    const [speech, tone, left, right, mixed] = await Promise.all([
      pcm(f('speech16.wav')),
      pcm(f('tone.wav')),
      pcm(f('two.wav'), { channel: 0 }),
      pcm(f('two.wav'), { channel: 1 }),
      pcm(f('two.wav')),
    ]);
    expect(left.equals(speech)).toBe(true);
    expect(right.subarray(0, tone.length).equals(tone)).toBe(true);
    expect(mixed.equals(left)).toBe(false);
    await expect(pcm(f('two.wav'), { channel: -1 })).rejects.toThrow(RangeError);
    await expect(pcm(f('two.wav'), { channel: 1.5 })).rejects.toThrow(RangeError);
  });

  it('trims to audio_start_from / audio_end_at', async () => {
    expect((await decodeAll(f('speech.flac'), { startMs: 500, endMs: 1500 })).durationMs).toBeCloseTo(1000, -1);
    const fromStart = await decodeAll(f('speech.flac'), { startMs: 1000 });
    expect(Math.abs(fromStart.durationMs - (speechMs - 1000))).toBeLessThan(20);
    const untilEnd = await decodeAll(f('speech.flac'), { endMs: 800, startMs: null });
    expect(untilEnd.durationMs).toBeCloseTo(800, -1);
  });

  it('refuses HTML, text, JSON and PDF with upstream messages, without ffmpeg', async () => {
    expect((await decodeError(f('page.html'))).message).toBe(
      'File does not appear to contain audio. File type is text/html (HTML document, ASCII text).',
    );
    expect((await decodeError(f('notes.txt'))).message).toBe(
      'File does not appear to contain audio. File type is text/plain (ASCII text).',
    );
    expect((await decodeError(f('data.json'))).message).toBe(
      'File does not appear to contain audio. File type is application/json (JSON text data).',
    );
    expect((await decodeError(f('doc.pdf'))).message).toBe(
      'File does not appear to contain audio. File type is application/pdf (PDF document, version 1.4).',
    );
  });

  it('names an empty file', async () => {
    expect((await decodeError(f('empty.wav'))).message).toBe('File does not appear to contain audio. File type is inode/x-empty (empty).');
  });

  it('refuses unknown binary and video without audio after ffmpeg fails', async () => {
    const noise = await decodeError(f('noise.bin'));
    expect(noise.message).toBe('File does not appear to contain audio. File type is application/octet-stream (data).');
    const video = await decodeError(f('video-only.mp4'));
    expect(video.message).toBe('File does not appear to contain audio. File type is video/mp4 (ISO Media).');
    expect(video.detail).toMatch(/ffmpeg exited with 1/);
  });

  it('rejects audio under 160 ms, including after trimming', async () => {
    expect((await decodeError(f('short.wav'))).message).toBe('Audio duration is too short.');
    expect((await decodeError(f('speech.wav'), { startMs: 1000, endMs: 1100 })).message).toBe('Audio duration is too short.');
    expect((await decodeError(f('speech.wav'), { startMs: speechMs + 5000 })).message).toBe('Audio duration is too short.');
  });

  it('streams with backpressure: ffmpeg waits while the consumer is idle', async () => {
    const { pcm, done } = decodeAudio(f('long.wav'));
    const it = pcm[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    await new Promise((r) => setTimeout(r, 1500));
    // Unbounded buffering would have let ffmpeg finish 57.6 MB of output by now.
    expect(ffmpegChildren()).toHaveLength(1);
    let total = 0;
    let biggest = 0;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      total += r.value.length;
      biggest = Math.max(biggest, r.value.length);
    }
    expect(biggest).toBeLessThanOrEqual(256 * 1024);
    expect(total).toBeGreaterThan(57_000_000);
    expect((await done).durationMs).toBe(1_800_000);
  });

  it('kills ffmpeg on abort', async () => {
    const ac = new AbortController();
    const { pcm, done } = decodeAudio(f('long.wav'), { signal: ac.signal });
    const it = pcm[Symbol.asyncIterator]();
    await it.next();
    expect(ffmpegChildren()).toHaveLength(1);
    ac.abort();
    await expect(it.next()).rejects.toMatchObject({ name: 'AbortError' });
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    expect(ffmpegChildren()).toHaveLength(0);
  });

  it('kills ffmpeg when the consumer stops early', async () => {
    const { pcm, done } = decodeAudio(f('long.wav'));
    for await (const chunk of pcm) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(ffmpegChildren()).toHaveLength(0);
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('does not start when already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const { pcm } = decodeAudio(f('speech.wav'), { signal: ac.signal });
    await expect(pcm[Symbol.asyncIterator]().next()).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('works with the bundled (older) ffmpeg build', async () => {
    const installer = join(process.cwd(), 'node_modules/@ffmpeg-installer/linux-x64/ffmpeg');
    // The test set-up (EARSHOT_SETUP_TEST=1 scripts/setup.sh) unpacks it; a normal install omits optional packages.
    if (!existsSync(installer)) throw new Error('@ffmpeg-installer/linux-x64 is missing: run EARSHOT_SETUP_TEST=1 scripts/setup.sh');
    vi.stubEnv('EARSHOT_FFMPEG', installer);
    const { durationMs } = await decodeAll(f('speech.mp3'), { startMs: 200 });
    expect(Math.abs(durationMs - (speechMs - 200))).toBeLessThan(80);
  });
});

/**
 * Inputs that name other files, next to `speech.wav` / `.ts` as one project's upload lies next to another's.
 * A control byte defeats the text sniff, so ffmpeg sees each of them.
 */
describe('inputs that would make ffmpeg read other files', () => {
  const NOT_AUDIO = 'File does not appear to contain audio. File type is application/octet-stream (data).';
  const playlists: Record<string, () => string> = {
    'ffconcat naming a neighbour': () => 'ffconcat version 1.0\n#\x01\nfile speech.wav\n',
    'ffconcat by absolute path': () => `ffconcat version 1.0\n#\x01\nfile ${f('speech.wav')}\n`,
    'ffconcat of ffconcats': () => 'ffconcat version 1.0\n#\x01\nfile neighbour.ffconcat\nfile neighbour.ffconcat\n',
    'HLS playlist (m3u8) naming a neighbour': () => '#EXTM3U\n#\x01\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\nspeech.ts\n#EXT-X-ENDLIST\n',
    'HLS playlist by absolute path': () => `#EXTM3U\n#\x01\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n${f('speech.ts')}\n#EXT-X-ENDLIST\n`,
    'HLS master playlist': () => '#EXTM3U\n#\x01\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nneighbour.m3u8\n',
  };

  beforeAll(async () => {
    // HLS segments must be a format HLS allows: MPEG-TS.
    ffmpeg('-i', f('speech.wav'), '-c:a', 'mp2', '-f', 'mpegts', f('speech.ts'));
    await writeFile(f('neighbour.ffconcat'), playlists['ffconcat naming a neighbour']!(), 'latin1');
    await writeFile(f('neighbour.m3u8'), playlists['HLS playlist (m3u8) naming a neighbour']!(), 'latin1');
  });

  it.each(Object.keys(playlists))('refuses a %s and yields none of its audio', async (name) => {
    const file = f(`playlist-${name.replace(/\W+/g, '-')}`);
    await writeFile(file, playlists[name]!(), 'latin1');
    expect(await sniffFileType(file)).toMatchObject({ kind: 'unknown' });
    expect((await decodeError(file)).message).toBe(NOT_AUDIO);
    await expect(probeAudio(file)).rejects.toThrow(NOT_AUDIO);
  });

  it('refuses the same playlists under names ffmpeg would take for playlists', async () => {
    for (const [name, ext] of [
      ['ffconcat naming a neighbour', 'ffconcat'],
      ['HLS playlist (m3u8) naming a neighbour', 'm3u8'],
    ] as const) {
      const file = f(`named.${ext}`);
      await writeFile(file, playlists[name]!(), 'latin1');
      expect((await decodeError(file)).message).toBe(NOT_AUDIO);
    }
  });
});

describe('sniffFileType', () => {
  it.each([
    ['image.png', 'image/png', 'PNG image data, 64 x 64'],
    ['speech.wav', 'audio/x-wav', 'RIFF (little-endian) data, WAVE audio'],
    ['speech.flac', 'audio/flac', 'FLAC audio bitstream data'],
    ['speech.ogg', 'audio/ogg', 'Ogg data'],
    ['speech.m4a', 'audio/x-m4a', 'ISO Media, Apple iTunes ALAC/AAC-LC (.M4A) Audio'],
    ['cover.mp3', 'audio/mpeg', 'Audio file with ID3 version 2.4'],
  ])('%s → %s', async (name, mime, description) => {
    expect(await sniffFileType(f(name))).toMatchObject({ mime, description });
  });

  it('tells UTF-8 text from ASCII', async () => {
    await writeFile(f('utf8.txt'), 'héllo wörld\n');
    expect(await sniffFileType(f('utf8.txt'))).toEqual({ mime: 'text/plain', description: 'Unicode text, UTF-8 text', kind: 'document' });
  });
});

describe('probeAudio', () => {
  async function probes(): Promise<void> {
    const wav = await probeAudio(f('speech.wav'));
    expect(wav).toMatchObject({ container: 'wav', codec: 'pcm_s16le', channels: 1, sampleRate: 22050, hasAudio: true, hasVideo: false });
    expect(Math.abs(wav.durationMs! - speechMs)).toBeLessThan(20);
    expect(await probeAudio(f('cover.mp3'))).toMatchObject({ container: 'mp3', codec: 'mp3', hasAudio: true, hasVideo: false });
    expect(await probeAudio(f('speech.m4a'))).toMatchObject({ codec: 'aac', channels: 1, hasAudio: true });
    expect(await probeAudio(f('video-only.mp4'))).toMatchObject({
      codec: null,
      channels: null,
      sampleRate: null,
      hasAudio: false,
      hasVideo: true,
      durationMs: 1000,
    });
    await expect(probeAudio(f('page.html'))).rejects.toThrow('File type is text/html');
    await expect(probeAudio(f('noise.bin'))).rejects.toThrow('File type is application/octet-stream (data).');
  }

  it('describes files with ffprobe', probes);

  it('describes files from `ffmpeg -i` when there is no ffprobe beside ffmpeg', async () => {
    const bin = join(dir, 'bin');
    execFileSync('mkdir', ['-p', bin]);
    await symlink('/usr/bin/ffmpeg', join(bin, 'ffmpeg')).catch(() => {});
    vi.stubEnv('EARSHOT_FFMPEG', join(bin, 'ffmpeg'));
    await probes();
  });

  it('parses channel layouts and stream lines from ffmpeg -i', () => {
    const info = parseFfmpegInfo(
      [
        "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:x.mp4':",
        '  Duration: 01:02:03.45, start: 0.000000, bitrate: 61 kb/s',
        '  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 64x64, 10 fps (default)',
        '  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, 5.1(side), fltp, 55 kb/s (default)',
      ].join('\n'),
    );
    expect(info).toEqual({
      durationMs: 3_723_450,
      container: 'mov,mp4,m4a,3gp,3g2,mj2',
      codec: 'aac',
      channels: 6,
      sampleRate: 48000,
      hasAudio: true,
      hasVideo: true,
    });
    expect(parseFfmpegInfo('file:x: Invalid data found when processing input')).toBeNull();
  });
});
