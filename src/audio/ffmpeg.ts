import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';

/** No usable ffmpeg binary: configuration problem, not a bad input file. */
export class FfmpegNotFoundError extends Error {
  override name = 'FfmpegNotFoundError';
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutableFile(join(dir, name))) return join(dir, name);
  }
  return null;
}

function installerBinary(): string | null {
  try {
    // The package has no entry point, so locate it through its package.json.
    const pkg = createRequire(import.meta.url).resolve('@ffmpeg-installer/linux-x64/package.json');
    const bin = join(dirname(pkg), 'ffmpeg');
    return isExecutableFile(bin) ? bin : null;
  } catch {
    return null;
  }
}

/**
 * The ffmpeg to run: `EARSHOT_FFMPEG`, else `ffmpeg` on PATH, else the binary of the
 * optional `@ffmpeg-installer/linux-x64` dependency. Resolved on every call (a few stats)
 * so a changed environment takes effect without a restart.
 */
export function resolveFfmpeg(): string {
  const configured = process.env.EARSHOT_FFMPEG;
  if (configured) {
    if (isExecutableFile(configured)) return configured;
    throw new FfmpegNotFoundError(`EARSHOT_FFMPEG=${configured} is not an executable file.`);
  }
  const found = findOnPath('ffmpeg') ?? installerBinary();
  if (found) return found;
  throw new FfmpegNotFoundError(
    'ffmpeg not found: install it (sudo apt-get install -y ffmpeg), or set EARSHOT_FFMPEG to an ffmpeg binary.',
  );
}

/**
 * The ffprobe next to the chosen ffmpeg, or null. Looking only beside ffmpeg keeps the two
 * from different builds; the installer package ships no ffprobe, so callers must cope.
 */
export function resolveFfprobe(): string | null {
  const probe = join(dirname(resolveFfmpeg()), 'ffprobe');
  return isExecutableFile(probe) ? probe : null;
}
