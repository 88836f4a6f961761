import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase } from '../../src/db/scratch.js';
import { freePort } from '../../src/net/free-port.js';

const BIN = fileURLToPath(new URL('../../bin/earshot.js', import.meta.url));
/** Silero VAD as `earshot models pull silero-vad` installs it (../shared/models holds the same file). */
export const SILERO_MODEL = fileURLToPath(new URL('../../../shared/models/silero-vad/silero_vad.onnx', import.meta.url));
/** The PostgreSQL server on the test machine (trust auth); each test server gets its own database. */
export const POSTGRES_ADMIN_URL = process.env.EARSHOT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export type StorageMode = 'pglite' | 'postgres';
export const STORAGE_MODES: StorageMode[] = ['pglite', 'postgres'];

export { freePort };

/** A scratch database on the test PostgreSQL server: each test server's own, or one a fleet of them shares. */
export function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  return createScratchDatabase(POSTGRES_ADMIN_URL, 'earshot_test');
}

export interface TestServer {
  url: string;
  /** The HTTPS URL from the start-up line, when the server serves TLS (EARSHOT_TLS, EARSHOT_TLS_CERT). */
  tlsUrl: string | null;
  key: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  process: ChildProcess;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  /** Graceful stop (SIGTERM). */
  stop(): Promise<void>;
  /** kill -9. */
  kill(): Promise<void>;
  /** Starts the server again on the same port, data dir and database. */
  restart(): Promise<void>;
  /** Runs an `earshot` CLI command against this server's storage. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Stops the server and removes its data and database. */
  destroy(): Promise<void>;
}

export interface StartOptions {
  storage?: StorageMode;
  /** With storage 'postgres': this database (a fleet's, from createTestDatabase), which destroy() leaves to its creator. */
  databaseUrl?: string;
  env?: Record<string, string>;
  /** Set false to test first-start key generation. */
  apiKey?: string | false;
  /** Flags after `earshot serve` (settings otherwise come from the environment). */
  args?: string[];
  /** Run inside this network namespace (test/helpers/netns.ts), listening on `host` there. */
  netns?: { name: string; host: string };
}

/**
 * This process's environment without any Earshot, AssemblyAI or DATABASE_URL setting: what a test's child
 * process gets, plus what the test gives it (a developer's DATABASE_URL must not turn a PGlite run into a PostgreSQL one).
 */
export function hermeticEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(EARSHOT_|ASSEMBLYAI_|DATABASE_URL$)/.test(k))), ...extra };
}

export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  stdin?: string | Buffer,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** Starts `earshot serve` as a real child process on a free port with its own data dir (and database). */
export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  // Streaming tests would otherwise pass on the energy detector the server falls back to.
  if (!fs.existsSync(SILERO_MODEL))
    throw new Error(`${SILERO_MODEL} is missing: the test servers time turns with Silero VAD (../shared/models)`);
  const storage = opts.storage ?? 'pglite';
  const port = await freePort();
  let tlsPort = await freePort();
  while (tlsPort === port) tlsPort = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-test-'));
  if (opts.databaseUrl && storage !== 'postgres') throw new Error("databaseUrl needs storage: 'postgres'");
  const db =
    storage !== 'postgres' ? null : opts.databaseUrl ? { url: opts.databaseUrl, drop: async () => undefined } : await createTestDatabase();
  const key = opts.apiKey === false ? '' : (opts.apiKey ?? randomBytes(16).toString('hex'));
  const env: NodeJS.ProcessEnv = {
    ...hermeticEnv(),
    EARSHOT_PORT: String(port),
    EARSHOT_TLS_PORT: String(tlsPort),
    EARSHOT_HOST: opts.netns?.host ?? '127.0.0.1',
    EARSHOT_DATA_DIR: dataDir,
    EARSHOT_ENGINE: 'pocketsphinx',
    EARSHOT_LOG_LEVEL: process.env.EARSHOT_TEST_LOG_LEVEL ?? 'warn',
    EARSHOT_CONCURRENCY: '2',
    EARSHOT_QUEUE_POLL_SECONDS: '0.5',
    EARSHOT_VAD_MODEL: SILERO_MODEL,
    // No status round in a test's first minutes unless it asks (a probe's transcription and LLM call would land in the middle of its own).
    EARSHOT_STATUS_FIRST_PROBE_SECONDS: '3600',
    ...(key ? { EARSHOT_API_KEY: key } : {}),
    ...(db ? { DATABASE_URL: db.url } : {}),
    ...opts.env,
  };
  let output = '';
  let tlsUrl: string | null = null;
  let child!: ChildProcess;

  const launch = async () => {
    const from = output.length; // a restart must wait for its own banner, not the last run's
    const command = [process.execPath, BIN, 'serve', ...(opts.args ?? [])];
    // `ip netns exec` execs the command in place: signals reach the server itself.
    if (opts.netns) command.unshift('ip', 'netns', 'exec', opts.netns.name);
    child = spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`earshot serve exited with ${code}:\n${output}`))),
    );
    const ready = (async () => {
      // Generous: a cold start loads the CLI, the engine library and (PGlite) the database, and two cores may be busy.
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline) {
        if (/Earshot listening on .*\n/.test(output.slice(from))) return; // the whole line, TLS URL and all
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`earshot serve did not start:\n${output}`);
    })();
    await Promise.race([ready, exited]);
    exited.catch(() => undefined);
    tlsUrl = /Earshot listening on \S+ and (https:\/\/\S+)/.exec(output.slice(from))?.[1] ?? null;
  };
  const waitExit = () =>
    new Promise<void>((resolve) =>
      child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
    );

  await launch();
  const server: TestServer = {
    url: `http://${opts.netns?.host ?? '127.0.0.1'}:${port}`,
    get tlsUrl() {
      return tlsUrl;
    },
    key,
    dataDir,
    env,
    get process() {
      return child;
    },
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await waitExit();
    },
    async kill() {
      child.kill('SIGKILL');
      await waitExit();
    },
    restart: launch,
    cli: (args) => runCli(args, env),
    async destroy() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await waitExit();
      }
      await db?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** fetch with the server's key. */
/** `fetch` with the server's key; `json` sends a JSON body, and a Buffer body is sent as its bytes. */
export function api(
  server: TestServer,
  pathname: string,
  init: Omit<RequestInit, 'body'> & { body?: BodyInit | Buffer | null; json?: unknown } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', server.key);
  let body = Buffer.isBuffer(init.body) ? new Uint8Array(init.body) : init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  return fetch(new URL(pathname, server.url), { ...init, headers, body });
}

/** Polls a transcript until it is completed or error. */
export async function waitForTranscript(server: TestServer, id: string, timeoutMs = 90_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api(server, `/v2/transcript/${id}`);
    const body = (await res.json()) as Record<string, unknown>;
    if (body.status === 'completed' || body.status === 'error') return body;
    if (Date.now() > deadline) throw new Error(`transcript ${id} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Polls a transcript until it reaches `status` (e.g. `processing`); throws if it finishes first or runs out of time. */
export async function waitForStatus(server: TestServer, id: string, status: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await api(server, `/v2/transcript/${id}`)).json()) as Record<string, unknown>;
    if (body.status === status) return body;
    if (body.status === 'completed' || body.status === 'error')
      throw new Error(`transcript ${id} ended ${body.status} before reaching ${status}: ${String(body.error)}`);
    if (Date.now() > deadline) throw new Error(`transcript ${id} still ${body.status} after ${timeoutMs} ms, not ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Uploads a local file and creates a transcript of it; returns the transcript id. */
export async function transcribeFile(server: TestServer, file: string, params: Record<string, unknown> = {}): Promise<string> {
  const up = await api(server, '/v2/upload', { method: 'POST', body: fs.readFileSync(file) });
  const { upload_url } = (await up.json()) as { upload_url: string };
  const created = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: upload_url, ...params } });
  if (created.status !== 200) throw new Error(`POST /v2/transcript answered ${created.status}: ${await created.text()}`);
  return ((await created.json()) as { id: string }).id;
}
