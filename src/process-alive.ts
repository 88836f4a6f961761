import { readFileSync } from 'node:fs';

/**
 * Whether a process with this pid is running (EPERM: it is, but belongs to someone else). A zombie, dead but
 * not yet reaped by its parent, still answers signal 0 and is not.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !dead(pid);
}

/** Linux's /proc/<pid>/stat: the state (Z zombie, X dead) follows the command name, which is in parentheses. */
function dead(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false; // no /proc (macOS), or gone this instant: signal 0 has the say
  }
  return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
}
