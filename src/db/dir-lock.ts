import { closeSync, constants, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import koffi from 'koffi';

const LOCK_EX = 2;
const LOCK_NB = 4;
let flock: ((fd: number, operation: number) => number) | undefined;

/**
 * Holds `file` locked with flock(2) for this process, or throws naming the pid that holds it. The kernel drops
 * the lock when its holder dies, however it dies: a restart right after kill -9 finds it free, even while the
 * dead process is a zombie its parent has not reaped, and a pid reused by another program does not count.
 * The file is never removed (removing it would let two processes lock two different files of one name).
 */
export function lockFile(file: string, inUse: (holder: string) => Error): () => void {
  flock ??= koffi.load('libc.so.6').func('int flock(int fd, int operation)') as (fd: number, operation: number) => number;
  // Node opens files close-on-exec: ffmpeg and other children do not inherit the lock.
  const fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o644);
  if (flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    const errno = koffi.errno();
    closeSync(fd);
    if (errno === koffi.os.errno.EWOULDBLOCK) throw inUse(readFileSync(file, 'utf8').trim() || 'unknown');
    throw new Error(`cannot lock ${file}: errno ${errno}`);
  }
  // The pid is only for the message another process shows.
  ftruncateSync(fd, 0);
  writeSync(fd, String(process.pid), 0);
  return () => closeSync(fd);
}
