import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';

import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
export const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

/** Runs a command, failing with its stderr. */
export function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Things to undo however the bench ends: child processes, temp dirs. Run last-in first-out. */
export class Cleanup {
  private readonly async: Array<() => Promise<void> | void> = [];
  /** Synchronous last resorts for `process.on('exit')` (SIGKILL a child, rm -rf a dir). */
  private readonly sync = new Map<object, () => void>();

  add(fn: () => Promise<void> | void, syncFallback?: () => void): () => void {
    const token = {};
    this.async.push(fn);
    if (syncFallback) this.sync.set(token, syncFallback);
    return () => this.sync.delete(token);
  }

  async runAll(): Promise<void> {
    while (this.async.length) {
      const fn = this.async.pop()!;
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`cleanup step failed: ${(err as Error).message}\n`);
      }
    }
  }

  runSync(): void {
    for (const fn of this.sync.values()) {
      try {
        fn();
      } catch {
        // best effort on exit
      }
    }
    this.sync.clear();
  }
}

export interface ProcMemory {
  rss: number;
  hwm: number;
}

/** VmRSS and VmHWM of a process in bytes, or null once it is gone (an exited process not yet reaped has no Vm lines). */
export function procMemory(pid: number): ProcMemory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    const rss = kb('VmRSS');
    if (Number.isNaN(rss)) return null;
    return { rss, hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Child processes (e.g. ffmpeg) of a process, recursively. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return out;
  }
  for (const t of tasks) {
    const child = Number(t);
    out.push(child, ...descendants(child));
  }
  return out;
}

/**
 * Samples a process's RSS (and that of its child processes, e.g. ffmpeg) every `everyMs`.
 * VmHWM from the kernel is the authoritative peak; the samples add the children and a time line.
 */
export class RssSampler {
  peakRss = 0;
  peakWithChildren = 0;
  samples = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pid: number,
    private readonly everyMs = 50,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  sample(): void {
    const m = procMemory(this.pid);
    if (!m) return;
    this.samples++;
    let total = m.rss;
    for (const child of descendants(this.pid)) total += procMemory(child)?.rss ?? 0;
    this.peakRss = Math.max(this.peakRss, m.rss);
    this.peakWithChildren = Math.max(this.peakWithChildren, total);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }
}

/** Resets a process's VmHWM to its current RSS (Linux: `echo 5 > /proc/PID/clear_refs`). */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU time (user + system, all threads) a process has used, in ms; null once it is gone. */
export function procCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return null;
  }
}

function systemTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = cpu[3]! + cpu[4]!; // idle + iowait
  return { busy: total - idle, total };
}

/** Measures how many cores the whole machine kept busy between `start()` and `stop()`. */
export class BusyMeter {
  private readonly from = systemTicks();
  stop(): number {
    const to = systemTicks();
    const dt = to.total - this.from.total;
    return dt > 0 ? round(((to.busy - this.from.busy) / dt) * availableParallelism(), 2) : 0;
  }
}

/**
 * The machine may be shared (test suites, builds): waits until fewer than `maxBusyCores` cores are
 * busy over a 1 s window, for at most `maxWaitMs`. Returns the last window's busy cores.
 */
export async function waitForQuiet(log: (s: string) => void, maxBusyCores = 0.35, maxWaitMs = 60_000): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  let warned = false;
  for (;;) {
    const m = new BusyMeter();
    await sleep(1000);
    const busy = m.stop();
    if (busy < maxBusyCores) return busy;
    if (Date.now() > deadline) {
      log(`  machine still busy (${busy} cores) after ${maxWaitMs / 1000} s; measuring anyway`);
      return busy;
    }
    if (!warned) log(`  waiting for the machine to go quiet (${busy} cores busy by other processes)…`);
    warned = true;
  }
}
