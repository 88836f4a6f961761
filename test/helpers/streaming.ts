import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import WebSocket from 'ws';

const run = promisify(execFile);

export { espeakSpeech } from '../../bench/audio.js';

/** Raw mono PCM (or mu-law) of any audio file at the given rate, via ffmpeg. */
export async function rawAudio(file: string, sampleRate = 16_000, encoding: 'pcm_s16le' | 'pcm_mulaw' = 'pcm_s16le'): Promise<Buffer> {
  const codec = encoding === 'pcm_mulaw' ? ['-f', 'mulaw', '-acodec', 'pcm_mulaw'] : ['-f', 's16le', '-acodec', 'pcm_s16le'];
  const { stdout } = await run('ffmpeg', ['-loglevel', 'error', '-i', file, '-ac', '1', '-ar', String(sampleRate), ...codec, '-'], {
    encoding: 'buffer',
    maxBuffer: 1 << 28,
  });
  return stdout as unknown as Buffer;
}

export interface WsSession {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  /** Resolves once the socket is open (or rejects if the handshake fails). */
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first message matching `pred`. */
  next(pred: (m: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function connect(url: string, headers: Record<string, string> = {}): WsSession {
  const ws = new WebSocket(url, { headers });
  const messages: Record<string, unknown>[] = [];
  const waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as Record<string, unknown>;
    messages.push(m);
    for (const w of waiters.splice(0)) {
      if (w.pred(m)) w.resolve(m);
      else waiters.push(w);
    }
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  opened.catch(() => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return {
    ws,
    messages,
    opened,
    closed,
    next(pred, timeoutMs = 20_000) {
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(messages).slice(0, 400)}`)),
          timeoutMs,
        );
        waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
      });
    },
  };
}

/** Sends audio in chunks of `chunkMs`, paced at `speed`× real time (Infinity: as fast as possible). */
export async function sendAudio(
  send: (chunk: Buffer) => void,
  audio: Buffer,
  opts: { bytesPerMs: number; chunkMs?: number; speed?: number },
): Promise<void> {
  const chunkBytes = Math.round((opts.chunkMs ?? 100) * opts.bytesPerMs);
  const pauseMs = (opts.chunkMs ?? 100) / (opts.speed ?? 1);
  const start = Date.now();
  for (let i = 0, n = 0; i < audio.length; i += chunkBytes, n++) {
    send(audio.subarray(i, i + chunkBytes));
    if (Number.isFinite(pauseMs)) {
      const due = start + (n + 1) * pauseMs;
      await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    }
  }
}
