import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FfmpegNotFoundError, resolveFfmpeg, resolveFfprobe } from '../../src/audio/ffmpeg.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('resolveFfmpeg', () => {
  it('prefers EARSHOT_FFMPEG', () => {
    vi.stubEnv('EARSHOT_FFMPEG', '/usr/bin/ffmpeg');
    vi.stubEnv('PATH', '');
    expect(resolveFfmpeg()).toBe('/usr/bin/ffmpeg');
    expect(resolveFfprobe()).toBe('/usr/bin/ffprobe');
  });

  it('refuses an EARSHOT_FFMPEG that is not executable', () => {
    vi.stubEnv('EARSHOT_FFMPEG', '/nonexistent/ffmpeg');
    expect(() => resolveFfmpeg()).toThrow(FfmpegNotFoundError);
  });

  it('finds ffmpeg on PATH', () => {
    vi.stubEnv('EARSHOT_FFMPEG', '');
    vi.stubEnv('PATH', '/nonexistent:/usr/bin');
    expect(resolveFfmpeg()).toBe('/usr/bin/ffmpeg');
  });

  it('falls back to @ffmpeg-installer/linux-x64, which ships no ffprobe', () => {
    // The test set-up (EARSHOT_SETUP_TEST=1 scripts/setup.sh) unpacks it; a normal install omits optional packages.
    if (!existsSync('node_modules/@ffmpeg-installer/linux-x64/ffmpeg'))
      throw new Error('@ffmpeg-installer/linux-x64 is missing: run EARSHOT_SETUP_TEST=1 scripts/setup.sh');
    vi.stubEnv('EARSHOT_FFMPEG', '');
    vi.stubEnv('PATH', '/nonexistent');
    expect(resolveFfmpeg()).toMatch(/@ffmpeg-installer\/linux-x64\/ffmpeg$/);
    expect(resolveFfprobe()).toBeNull();
  });
});
