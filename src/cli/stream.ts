import type { Command } from 'commander';
import WebSocket from 'ws';
import { decodeAudio } from '../audio/decode.js';
import { SAMPLE_RATE } from '../engines/engine.js';
import { PACE_HEADER } from '../streaming/protocol.js';
import { addClientOptions, clientFrom, examples } from './options.js';

/** 100 ms chunks: inside upstream's 50–1000 ms window and small enough for quick partials. */
const CHUNK_MS = 100;

/** Splits a byte stream into fixed-size chunks. */
async function* rechunk(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const data of source) {
    pending = pending.length ? Buffer.concat([pending, data]) : data;
    while (pending.length >= size) {
      yield pending.subarray(0, size);
      pending = pending.subarray(size);
    }
  }
  if (pending.length) yield pending;
}

/**
 * How far ahead of real time `--speed` may take the audio: a margin inside what the server says it
 * tolerates (its pace header), all of it when it says `unlimited`. A server that does not say
 * (AssemblyAI's cloud) closes a session sent faster than real time, so a faster speed is refused.
 */
export function maxLeadMs(speed: number, header: string | undefined): number {
  if (speed <= 1 || header === 'unlimited') return Infinity;
  const tolerance = Number(header);
  if (header === undefined || !Number.isFinite(tolerance)) {
    throw new Error(`--speed ${speed}: this server does not accept audio faster than real time; use --speed 1 (or an Earshot server)`);
  }
  return Math.max(0, tolerance - Math.max(1000, tolerance / 5));
}

function wsUrl(base: string, protocol: string, query: URLSearchParams): string {
  const url = new URL(protocol === 'v2' ? '/v2/realtime/ws' : '/v3/ws', base);
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  url.search = query.toString();
  return url.toString();
}

/** `earshot stream FILE|-`: live transcription through a running server, partials shown as they come. */
export function registerStream(program: Command): void {
  const cmd = program
    .command('stream')
    .description('Stream a file, or raw 16-bit PCM from stdin ("-"), to a server and print the transcript live')
    .argument('<file>', 'audio file (anything ffmpeg reads), or - for raw s16le mono PCM on stdin (e.g. from arecord or sox)')
    .option('--protocol <v3|v2>', 'streaming protocol', 'v3')
    .option('--sample-rate <hz>', 'sample rate of stdin PCM', String(SAMPLE_RATE))
    .option('--speed <x>', 'pace for files, as a multiple of real time (the server allows bursts only within its tolerance)', '1')
    .option('--no-format-turns', 'print raw turns instead of formatted ones');
  addClientOptions(cmd);
  examples(
    cmd,
    'earshot stream meeting.mp3',
    'earshot stream meeting.mp3 --server https://stt.example.com --api-key $KEY',
    'arecord -f S16_LE -r 16000 -c 1 -t raw | earshot stream -',
    'sox talk.wav -t raw -r 8000 -e signed -b 16 -c 1 - | earshot stream - --sample-rate 8000 --protocol v2',
  );
  cmd.action(async (file: string, opts: Record<string, string | boolean>) => {
    const { server, apiKey: key } = clientFrom(opts);
    if (!key) throw new Error('an API key is needed: --api-key, or EARSHOT_API_KEY in the environment');
    const fromStdin = file === '-';
    const sampleRate = fromStdin ? Number(opts.sampleRate) : SAMPLE_RATE;
    if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 48000)
      throw new Error('--sample-rate must be an integer from 8000 to 48000');
    const speed = Number(opts.speed);
    if (!(speed > 0)) throw new Error('--speed must be a positive number');
    const query = new URLSearchParams({ sample_rate: String(sampleRate) });
    if (opts.protocol === 'v3' && opts.formatTurns) query.set('format_turns', 'true');
    if (opts.protocol === 'v2') query.set('enable_extra_session_information', 'true');

    const ws = new WebSocket(wsUrl(server, opts.protocol as string, query), { headers: { authorization: key } });
    let paceHeader: string | undefined;
    ws.once('upgrade', (res) => (paceHeader = res.headers[PACE_HEADER] as string | undefined));
    // The reason a session ended, said once at the end (an error message and its close frame say the same).
    let serverError: string | null = null;
    const tty = process.stdout.isTTY;
    let partialShown = false;
    const show = (text: string, final: boolean) => {
      if (tty) process.stdout.write(`\r\x1b[2K${text}${final ? '\n' : ''}`);
      else if (final) process.stdout.write(`${text}\n`);
      partialShown = !final && tty;
    };
    const begun = new Promise<void>((resolve, reject) => {
      ws.on('message', (raw) => {
        const m = JSON.parse(raw.toString()) as Record<string, unknown>;
        if (m.type === 'Begin' || m.message_type === 'SessionBegins') resolve();
        else if (m.error) serverError = String(m.error);
        else if (m.type === 'Turn') {
          // With formatting on, the end of a turn comes twice; print the formatted one.
          if (m.end_of_turn && opts.formatTurns && !m.turn_is_formatted) return;
          const text = m.end_of_turn ? (m.transcript as string) : (m.words as { text: string }[]).map((w) => w.text).join(' ');
          show(text, Boolean(m.end_of_turn));
        } else if (m.message_type === 'PartialTranscript' || m.message_type === 'FinalTranscript') {
          show(m.text as string, m.message_type === 'FinalTranscript');
        }
      });
      ws.once('error', reject);
      ws.once('close', (code, reason) =>
        reject(new Error(`server closed the connection: ${code} ${reason.toString() || serverError || ''}`.trim())),
      );
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    await begun;
    let maxLead: number;
    try {
      maxLead = fromStdin ? Infinity : maxLeadMs(speed, paceHeader);
    } catch (err) {
      ws.close(1000);
      throw err;
    }

    const bytesPerChunk = (sampleRate * 2 * CHUNK_MS) / 1000;
    const source = fromStdin ? (process.stdin as AsyncIterable<Buffer>) : decodeAudio(file).pcm;
    const started = Date.now();
    let sentMs = 0;
    let slowed = false;
    for await (const chunk of rechunk(source, bytesPerChunk)) {
      // Stdin arrives at its own pace; files are paced here: at --speed, but never further ahead of real time than the server takes.
      if (!fromStdin) {
        const chunkMs = (chunk.length / bytesPerChunk) * CHUNK_MS;
        const atSpeed = started + sentMs / speed;
        const inLead = started + sentMs + chunkMs - maxLead;
        if (inLead > atSpeed && !slowed) {
          slowed = true;
          process.stderr.write(
            `earshot: --speed ${speed} held to real time from here: the server takes audio at most ${paceHeader} ms ahead of real time ` +
              '(EARSHOT_STREAMING_ALLOW_FAST=true on the server lifts this)\n',
          );
        }
        await new Promise((r) => setTimeout(r, Math.max(0, Math.max(atSpeed, inLead) - Date.now())));
        sentMs += chunkMs;
      }
      if (ws.readyState !== ws.OPEN) break;
      ws.send(chunk);
    }
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(opts.protocol === 'v2' ? { terminate_session: true } : { type: 'Terminate' }));
    const { code, reason } = await closed;
    if (partialShown) process.stdout.write('\n');
    if (code !== 1000) throw new Error(`session closed with ${code}: ${reason || serverError || 'no reason given'}`);
  });
}
