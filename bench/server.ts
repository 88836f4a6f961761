import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, createReadStream, mkdirSync, symlinkSync, openSync, closeSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePort } from '../src/net/free-port.js';
import { descendants, sleep, type Cleanup } from './util.js';

function killQuietly(pid: number) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The repository root, from bench/ (the sources, as the tests import them) or dist-bench/bench/ (built). */
export const REPO = fileURLToPath(new URL(import.meta.url.includes('/dist-bench/') ? '../../' : '../', import.meta.url));
/** The server's command line in this repository. */
export const BIN = path.join(REPO, 'bin', 'earshot.js');

/**
 * A private copy of the built app (bin/, dist/, package.json; node_modules linked) so that every
 * server of one bench run runs the same code even while dist/ is being rebuilt. Returns its bin.
 */
export function snapshotApp(tmp: string): string {
  const app = path.join(tmp, 'app');
  mkdirSync(app, { recursive: true });
  for (const entry of ['bin', 'dist', 'package.json']) cpSync(path.join(REPO, entry), path.join(app, entry), { recursive: true });
  symlinkSync(path.join(REPO, 'node_modules'), path.join(app, 'node_modules'), 'dir');
  return path.join(app, 'bin', 'earshot.js');
}

/** One pino log line of the server. */
export interface LogLine {
  time: number;
  msg: string;
  transcript?: string;
  ms?: number;
  [k: string]: unknown;
}

export interface BenchServer {
  url: string;
  key: string;
  pid: number;
  dataDir: string;
  /** The server's stderr (its JSON logs) goes straight to this file, so reading it costs the bench nothing. */
  logFile: string;
  logs(): LogLine[];
  /** kill -9 and remove its data dir (jobs may still be running; nothing here needs a graceful stop). */
  destroy(): Promise<void>;
  /** kill -9, keeping the data dir (`destroy` still removes it). */
  kill(): Promise<void>;
}

export interface LaunchOptions {
  /** The `earshot` entry point to run (see `snapshotApp`). */
  bin: string;
  /** Parent dir for the data dir and log file. */
  tmp: string;
  name: string;
  env?: Record<string, string>;
  cleanup: Cleanup;
}

/** Starts `earshot serve` as a child process on a free port with its own data dir. */
export async function launchServer(opts: LaunchOptions): Promise<BenchServer> {
  const port = await freePort();
  const dataDir = path.join(opts.tmp, `${opts.name}-data`);
  mkdirSync(dataDir, { recursive: true });
  const logFile = path.join(opts.tmp, `${opts.name}.log`);
  const key = randomBytes(16).toString('hex');
  // Hermetic: only the settings given here, whatever the caller's shell exports.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EARSHOT_') && k !== 'DATABASE_URL'));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    EARSHOT_HOST: '127.0.0.1',
    EARSHOT_PORT: String(port),
    EARSHOT_DATA_DIR: dataDir,
    EARSHOT_API_KEY: key,
    EARSHOT_ENGINE: 'pocketsphinx',
    EARSHOT_QUEUE_POLL_SECONDS: '0.5',
    // Status rounds every 300 s (the default), the first after a whole interval: not 30 s into a timed run.
    EARSHOT_STATUS_FIRST_PROBE_SECONDS: '300',
    ...opts.env,
  };
  const logFd = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [opts.bin, 'serve'], { env, stdio: ['ignore', 'pipe', logFd] });
  } finally {
    closeSync(logFd);
  }
  const pid = child.pid!;
  let stdout = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => (stdout = (stdout + d).slice(-8192)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;

  const kill = async () => {
    if (!alive()) return;
    // ffmpeg children would die of SIGPIPE anyway; don't leave them to chance.
    const kids = descendants(pid);
    child.kill('SIGKILL');
    for (const k of kids) killQuietly(k);
    await exited;
  };
  let destroyed: Promise<void> | null = null;
  const destroy = () =>
    (destroyed ??= (async () => {
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    })());
  const unregisterSync = opts.cleanup.add(destroy, () => {
    if (alive()) {
      for (const k of descendants(pid)) killQuietly(k);
      child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });
  void exited.then(unregisterSync);

  const tail = () => readFileSync(logFile, 'utf8').slice(-4000);
  for (let i = 0; ; i++) {
    if (stdout.includes('Earshot listening on')) break;
    if (!alive()) throw new Error(`earshot serve exited with ${child.exitCode ?? child.signalCode}:\n${stdout}\n${tail()}`);
    if (i > 1200) {
      await destroy();
      throw new Error(`earshot serve did not start within 60 s:\n${stdout}\n${tail()}`);
    }
    await sleep(50);
  }

  return {
    url: `http://127.0.0.1:${port}`,
    key,
    pid,
    dataDir,
    logFile,
    logs() {
      const out: LogLine[] = [];
      for (const line of readFileSync(logFile, 'utf8').split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          out.push(JSON.parse(line) as LogLine);
        } catch {
          // a line cut short by a kill
        }
      }
      return out;
    },
    destroy,
    kill,
  };
}

async function json<T>(server: BenchServer, method: 'GET' | 'POST', pathname: string, body?: unknown): Promise<T> {
  const res = await request(new URL(pathname, server.url), {
    method,
    headers: { authorization: server.key, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${pathname} → ${res.statusCode}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** POST /v2/upload, streaming the file from disk (never buffered in the bench process). */
export async function uploadFile(server: BenchServer, file: string): Promise<string> {
  const size = statSync(file).size;
  const res = await request(new URL('/v2/upload', server.url), {
    method: 'POST',
    headers: { authorization: server.key, 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body: createReadStream(file, { highWaterMark: 1 << 20 }),
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`upload → ${res.statusCode}: ${text.slice(0, 500)}`);
  return (JSON.parse(text) as { upload_url: string }).upload_url;
}

export interface Transcript {
  id: string;
  status: 'queued' | 'processing' | 'completed' | 'error';
  error?: string | null;
  text?: string | null;
  words?: unknown[] | null;
  audio_duration?: number | null;
}

export function createTranscript(server: BenchServer, audioUrl: string): Promise<Transcript> {
  return json<Transcript>(server, 'POST', '/v2/transcript', { audio_url: audioUrl });
}

export function getTranscript(server: BenchServer, id: string): Promise<Transcript> {
  return json<Transcript>(server, 'GET', `/v2/transcript/${id}`);
}

/** Polls until `until(status)` holds; `completed`/`error` always end it (an error throws). */
export async function pollTranscript(
  server: BenchServer,
  id: string,
  opts: { everyMs?: number; timeoutMs?: number; until?: (t: Transcript) => boolean } = {},
): Promise<Transcript> {
  const timeoutMs = opts.timeoutMs ?? 30 * 60_000;
  const deadline = Date.now() + timeoutMs;
  const until = opts.until ?? ((t: Transcript) => t.status === 'completed');
  for (;;) {
    const t = await getTranscript(server, id);
    if (t.status === 'error') throw new Error(`transcript ${id} failed: ${t.error}`);
    if (until(t) || t.status === 'completed') return t;
    if (Date.now() > deadline) throw new Error(`transcript ${id} still ${t.status} after ${timeoutMs} ms`);
    await sleep(opts.everyMs ?? 50);
  }
}

/** Submits a transcript and polls (every 50 ms) until it completes: wall time from the POST to the completed poll. */
export async function timeTranscript(
  server: BenchServer,
  audioUrl: string,
  timeoutMs?: number,
): Promise<{ id: string; ms: number; words: number; postedAt: number; completedAt: number }> {
  const postedAt = Date.now();
  const t0 = performance.now();
  const created = await createTranscript(server, audioUrl);
  const done = await pollTranscript(server, created.id, { timeoutMs });
  const ms = performance.now() - t0;
  return { id: created.id, ms, words: done.words?.length ?? 0, postedAt, completedAt: Date.now() };
}

/** Where a transcript's time went, from the server's own log lines (pino `time` is ms since the epoch). */
export function transcriptTimeline(logs: LogLine[], id: string, postedAt: number, completedAt: number) {
  const find = (msg: string) => logs.find((l) => l.transcript === id && l.msg === msg);
  const queued = find('transcript queued');
  const started = find('transcription started');
  const finished = find('transcription finished');
  if (!queued || !started || !finished) return null;
  return {
    /** POST received → response logged. */
    postMs: queued.time - postedAt,
    /** Queued → a worker picked the job (pg-boss polling). */
    queueWaitMs: started.time - queued.time,
    /** Job start → result stored (audio lookup, worker thread, decode, engine, formatting, DB write). */
    processingMs: finished.ms ?? finished.time - started.time,
    /** Result stored → the client's next poll saw "completed". */
    observeMs: completedAt - finished.time,
  };
}
