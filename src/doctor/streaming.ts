import { open, stat } from 'node:fs/promises';
import WebSocket from 'ws';
import { sniffFileType } from '../audio/decode.js';
import { parseWav } from '../audio/wav.js';
import { authHeaders, type DoctorContext, type StreamEncoding } from './context.js';
import { findingsFor, isLoopbackHost, type Finding } from './finding.js';
import { ApiClient, errorText } from './http.js';
import { mulawToPcm, sampleStream } from './sample.js';

const f = findingsFor('streaming');
const MIN_RATE = 8_000;
const MAX_RATE = 48_000;
const CHUNK_MS = 100;
/** How much audio the live check sends. */
const SEND_MS = 2_400;
/** The Node SDK's connect() gives up when Begin takes longer than this (connectTimeout). */
const SDK_CONNECT_TIMEOUT_MS = 1_000;
const READ_BYTES = 2 * 1024 * 1024;

const bytesPerSample = (e: StreamEncoding) => (e === 'pcm_mulaw' ? 1 : 2);

function ffmpegCommand(rate: number, encoding: StreamEncoding): string {
  return encoding === 'pcm_mulaw'
    ? `ffmpeg -i INPUT -ac 1 -ar ${rate} -f mulaw -acodec pcm_mulaw out.raw`
    : `ffmpeg -i INPUT -ac 1 -ar ${rate} -f s16le -acodec pcm_s16le out.pcm`;
}

const WAV_FORMATS: Record<number, string> = { 1: 'PCM', 3: 'IEEE float', 6: 'A-law', 7: 'mu-law' };

type Interpretation = 'pcm_s16le' | 'pcm_s16be' | 'float32' | 'pcm_mulaw' | 'pcm_u8';

/** Samples of a buffer under one reading of its bytes, scaled to about ±1. */
function decodeAs(b: Buffer, how: Interpretation): Float64Array | null {
  switch (how) {
    case 'pcm_s16le':
    case 'pcm_s16be': {
      const n = Math.floor(b.length / 2);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = (how === 'pcm_s16le' ? b.readInt16LE(i * 2) : b.readInt16BE(i * 2)) / 32768;
      return out;
    }
    case 'float32': {
      const n = Math.floor(b.length / 4);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = b.readFloatLE(i * 4);
        if (!Number.isFinite(v) || Math.abs(v) > 4) return null; // not a float stream
        out[i] = v;
      }
      return out;
    }
    case 'pcm_mulaw':
      return Float64Array.from(mulawToPcm(b), (s) => s / 32768);
    case 'pcm_u8':
      return Float64Array.from(b, (v) => (v - 128) / 128);
  }
}

/**
 * How noise-like a signal is: mean step between neighbouring samples over mean distance from the
 * mean. Speech read the right way is smooth (well under 1); the wrong byte order, width or encoding
 * turns it into noise (about 1.4 for white noise).
 */
export function roughness(x: Float64Array): number {
  if (x.length < 2) return Infinity;
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  let dev = 0;
  let step = 0;
  for (let i = 0; i < x.length; i++) {
    dev += Math.abs(x[i]! - mean);
    if (i > 0) step += Math.abs(x[i]! - x[i - 1]!);
  }
  return dev === 0 ? Infinity : step / (x.length - 1) / (dev / x.length);
}

const READINGS: Record<Interpretation, string> = {
  pcm_s16le: '16-bit little-endian PCM',
  pcm_s16be: '16-bit big-endian PCM',
  float32: '32-bit float samples',
  pcm_mulaw: 'mu-law (8-bit G.711)',
  pcm_u8: '8-bit unsigned PCM',
};

/** Reads raw audio bytes the way the server will (the declared encoding) and the ways it might really be. */
export function analyzeRawAudio(b: Buffer, declared: { sampleRate: number; encoding: StreamEncoding }): Finding[] {
  const out: Finding[] = [];
  const asDeclared = decodeAs(b, declared.encoding)!;
  let energy = 0;
  for (const v of asDeclared) energy += v * v;
  const rms = Math.sqrt(energy / Math.max(1, asDeclared.length));
  if (rms < 0.001) {
    return [
      f.warn(
        'silent_audio',
        `The audio is silent as ${READINGS[declared.encoding]} (RMS ${(20 * Math.log10(rms || 1e-9)).toFixed(0)} dBFS).`,
        'Check the microphone or capture device, and that you send the samples, not an empty buffer.',
        { rms },
      ),
    ];
  }
  const candidates: Interpretation[] = ['pcm_s16le', 'pcm_s16be', 'float32', 'pcm_mulaw', 'pcm_u8'];
  const scores = Object.fromEntries(
    candidates.map((c) => {
      const x = decodeAs(b, c);
      return [c, x ? Math.round(roughness(x) * 1000) / 1000 : Infinity];
    }),
  ) as Record<Interpretation, number>;
  const mine = scores[declared.encoding];
  const best = candidates.reduce((a, c) => (scores[c] < scores[a] ? c : a), declared.encoding as Interpretation);
  const evidence = { declared: declared.encoding, roughness: scores };
  // 8-bit samples read as 16-bit: both byte orders look alike (the two bytes are neighbouring samples),
  // where real 16-bit audio is smooth one way and noise the other. Mu-law's quiet samples sit near 0xFF.
  const le = scores.pcm_s16le;
  const be = scores.pcm_s16be;
  if (
    declared.encoding === 'pcm_s16le' &&
    Math.abs(le - be) < 0.15 * Math.max(le, be) &&
    Math.min(scores.pcm_mulaw, scores.pcm_u8) < 0.9 * le
  ) {
    let high = 0;
    for (const v of b) if (v >= 0xe0) high++;
    const actual: Interpretation = high / b.length > 0.2 ? 'pcm_mulaw' : 'pcm_u8';
    return [
      f.fail(
        actual === 'pcm_mulaw' ? 'encoding_mismatch' : 'eight_bit',
        `The audio looks like ${READINGS[actual]}, but the session declares ${READINGS[declared.encoding]}: the server will hear noise.`,
        `Send ${READINGS[declared.encoding]} (${ffmpegCommand(declared.sampleRate, declared.encoding)})${actual === 'pcm_mulaw' ? ', or declare encoding=pcm_mulaw' : ''}.`,
        { ...evidence, bytes_from_0xe0: high },
      ),
    ];
  }
  // Only a clear win counts: the declared reading must look like noise and another like sound.
  if (best !== declared.encoding && mine > 0.8 && scores[best] < mine * 0.6) {
    const names: Partial<Record<Interpretation, string>> = { pcm_s16be: 'big_endian', float32: 'float_samples', pcm_u8: 'eight_bit' };
    const name = names[best] ?? 'encoding_mismatch';
    out.push(
      f.fail(
        name,
        `The audio looks like ${READINGS[best]}, but the session declares ${READINGS[declared.encoding]}: the server will hear noise.`,
        `Send ${READINGS[declared.encoding]} (${ffmpegCommand(declared.sampleRate, declared.encoding)}), or declare the encoding you send.`,
        evidence,
      ),
    );
    return out;
  }
  if (declared.encoding === 'pcm_s16le' && b.length >= 8) {
    // Interleaved stereo read as mono: identical neighbours (dual mono), or each sample closer to the one two back.
    const n = Math.floor(b.length / 2);
    let same = 0;
    let d1 = 0;
    let d2 = 0;
    for (let i = 2; i < n; i++) {
      const x = b.readInt16LE(i * 2);
      const p1 = b.readInt16LE((i - 1) * 2);
      const p2 = b.readInt16LE((i - 2) * 2);
      if (i % 2 === 1 && x === p1 && x !== 0) same++;
      d1 += Math.abs(x - p1);
      d2 += Math.abs(x - p2);
    }
    if (same > 0.9 * (n / 2) || d2 < 0.7 * d1) {
      out.push(
        f.fail(
          'stereo',
          'The audio looks like interleaved stereo; streaming takes mono, so it plays at the wrong speed.',
          `Mix it down to one channel (${ffmpegCommand(declared.sampleRate, declared.encoding)}).`,
          { ...evidence, same_pairs: same, d1, d2 },
        ),
      );
      return out;
    }
  }
  out.push(f.pass('format_plausible', `The audio reads plausibly as ${READINGS[declared.encoding]}.`, undefined, evidence));
  out.push(
    f.info(
      'raw_rate_unknown',
      `Raw audio carries no sample rate: it must really be ${declared.sampleRate} Hz, or speech comes out too fast or slow and is not recognised.`,
      `If unsure, convert it: ${ffmpegCommand(declared.sampleRate, declared.encoding)}.`,
    ),
  );
  return out;
}

/** The file the user plans to stream, judged against the declared sample_rate and encoding; returns the bytes to send if they are usable. */
export async function checkPlannedAudio(
  file: string,
  declared: { sampleRate: number; encoding: StreamEncoding },
): Promise<{ findings: Finding[]; stream: Buffer | null }> {
  try {
    await stat(file);
  } catch {
    return { findings: [f.fail('file_not_found', `No such file: ${file}.`, 'Check the path.')], stream: null };
  }
  const fh = await open(file, 'r');
  let b: Buffer;
  try {
    const buf = Buffer.alloc(READ_BYTES);
    const { bytesRead } = await fh.read(buf, 0, READ_BYTES, 0);
    b = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (b.length === 0) return { findings: [f.fail('file_empty', `${file} is empty.`, 'Record some audio first.')], stream: null };
  const cmd = ffmpegCommand(declared.sampleRate, declared.encoding);
  const wav = parseWav(b);
  if (wav) {
    const fmtName = WAV_FORMATS[wav.format] ?? `format ${wav.format}`;
    const evidence = { ...wav, declared };
    const wantFormat = declared.encoding === 'pcm_mulaw' ? 7 : 1;
    const wantBits = declared.encoding === 'pcm_mulaw' ? 8 : 16;
    const out: Finding[] = [];
    if (wav.format !== wantFormat || wav.bitsPerSample !== wantBits) {
      out.push(
        f.fail(
          declared.encoding === 'pcm_mulaw' ? 'encoding_mismatch' : 'not_pcm16',
          `${file} is ${wav.bitsPerSample}-bit ${fmtName}; the session declares ${READINGS[declared.encoding]}.`,
          `Convert it: ${cmd}.`,
          evidence,
        ),
      );
    }
    if (wav.channels !== 1)
      out.push(f.fail('not_mono', `${file} has ${wav.channels} channels; streaming takes mono.`, `Mix it down: ${cmd}.`, evidence));
    if (wav.sampleRate !== declared.sampleRate) {
      out.push(
        f.fail(
          'rate_mismatch',
          `${file} is ${wav.sampleRate} Hz but the session declares sample_rate=${declared.sampleRate}: speech plays ${wav.sampleRate > declared.sampleRate ? 'slowed down' : 'sped up'} and is not recognised.`,
          wav.sampleRate >= MIN_RATE && wav.sampleRate <= MAX_RATE
            ? `Declare sample_rate=${wav.sampleRate}, or resample: ${cmd}.`
            : `Resample: ${cmd}.`,
          evidence,
        ),
      );
    }
    if (out.length > 0) return { findings: out, stream: null };
    return {
      findings: [
        f.pass('format_ok', `${file} is ${READINGS[declared.encoding]}, mono, ${wav.sampleRate} Hz, as declared.`, undefined, evidence),
        f.info(
          'wav_header',
          'Send the samples after the WAV header (the data chunk), in 50–1000 ms chunks.',
          `The samples start at byte ${wav.dataOffset}.`,
        ),
      ],
      stream: b.subarray(wav.dataOffset, wav.dataOffset + wav.dataBytes),
    };
  }
  const type = await sniffFileType(file);
  if (type.kind === 'media') {
    return {
      findings: [
        f.fail(
          'not_raw_pcm',
          `${file} is ${type.mime} (${type.description}); streaming takes raw ${READINGS[declared.encoding]} samples, not a compressed or container file.`,
          `Decode it first: ${cmd}.`,
          { mime: type.mime },
        ),
      ],
      stream: null,
    };
  }
  if (type.kind === 'document') {
    return { findings: [f.fail('not_audio', `${file} is ${type.mime}, not audio.`, 'Stream audio samples.')], stream: null };
  }
  const findings = analyzeRawAudio(b, declared);
  return { findings, stream: findings.some((x) => x.severity === 'fail') ? null : b };
}

interface Protocol {
  path: string;
  begin: (m: Record<string, unknown>) => boolean;
  turnText: (m: Record<string, unknown>) => string | null;
  end: (m: Record<string, unknown>) => boolean;
  terminate: string;
  expiresAt: (m: Record<string, unknown>) => number | null;
}

const PROTOCOLS: Record<'v3' | 'v2', Protocol> = {
  v3: {
    path: '/v3/ws',
    begin: (m) => m.type === 'Begin',
    turnText: (m) =>
      m.type === 'Turn' ? String(m.transcript || (m.words as { text: string }[] | undefined)?.map((w) => w.text).join(' ') || '') : null,
    end: (m) => m.type === 'Termination',
    terminate: JSON.stringify({ type: 'Terminate' }),
    expiresAt: (m) => (typeof m.expires_at === 'number' ? m.expires_at * 1000 : null),
  },
  v2: {
    path: '/v2/realtime/ws',
    begin: (m) => m.message_type === 'SessionBegins',
    turnText: (m) => (m.message_type === 'FinalTranscript' || m.message_type === 'PartialTranscript' ? String(m.text ?? '') : null),
    end: (m) => m.message_type === 'SessionTerminated',
    terminate: JSON.stringify({ terminate_session: true }),
    expiresAt: (m) => (typeof m.expires_at === 'string' ? Date.parse(`${m.expires_at.replace(/(\.\d{3})\d+/, '$1')}Z`) : null),
  },
};

/** Close codes of both protocols, read. */
function closeFinding(code: number, reason: string, rate: number, tokenGiven: boolean, evidence: Record<string, unknown>): Finding {
  const said = `${code}${reason ? ` "${reason}"` : ''}`;
  switch (code) {
    case 1008:
    case 4001:
      return f.fail(
        'unauthorized',
        `The session was refused (${said}).`,
        tokenGiven
          ? 'Temporary tokens are single-use and live expires_in_seconds (1–600 s): create a fresh one right before each connection.'
          : 'Send the API key in the Authorization header, or a fresh temporary token as ?token=.',
        evidence,
      );
    case 4000:
      return f.fail(
        'bad_sample_rate',
        `sample_rate=${rate} is refused (${said}).`,
        `sample_rate must be an integer from ${MIN_RATE} to ${MAX_RATE}, equal to the rate of the audio you send.`,
        evidence,
      );
    case 3006:
    case 4100:
    case 4101:
      return f.fail(
        'bad_params',
        `The server refused the session's parameters or a message (${said}).`,
        'Check the query parameters (encoding: pcm_s16le or pcm_mulaw) and send only the documented JSON messages.',
        evidence,
      );
    case 3007:
    case 4029:
    case 4032:
    case 4033:
      return f.fail(
        'audio_pacing',
        `The server closed the session over the audio's chunking or pace (${said}).`,
        'Send 50–1000 ms of audio per message, at real-time pace.',
        evidence,
      );
    case 3008:
    case 4008:
      return f.fail(
        'session_expired',
        `The session expired (${said}).`,
        "Sessions last at most 3 h (or the token's max_session_duration_seconds): open a new one.",
        evidence,
      );
    case 3009:
    case 4102:
      return f.fail(
        'too_many_sessions',
        `Too many concurrent sessions (${said}).`,
        'Close finished sessions (send Terminate) before opening new ones, or raise the limit.',
        evidence,
      );
    case 4002:
    case 4003:
      return f.fail('account', `The account cannot stream (${said}).`, 'Add funds or upgrade the account.', evidence);
    default:
      return f.fail('closed', `The server closed the session (${said}).`, 'See the reason; the server log has more.', evidence);
  }
}

/** Streaming endpoints derived from the REST base: the cloud streams from its own host. */
export function streamingEndpoints(ctx: DoctorContext, protocol: 'v3' | 'v2'): { http: URL; ws: URL } {
  let base: URL;
  if (ctx.opts.streamingUrl) base = new URL(ctx.opts.streamingUrl);
  else if (ctx.kind === 'assemblyai' && protocol === 'v3')
    base = new URL(/\.eu\./.test(ctx.base.hostname) ? 'https://streaming.eu.assemblyai.com' : 'https://streaming.assemblyai.com');
  else base = new URL(ctx.base.origin);
  const secure = base.protocol === 'https:' || base.protocol === 'wss:';
  return {
    http: new URL(`${secure ? 'https' : 'http'}://${base.host}`),
    ws: new URL(`${secure ? 'wss' : 'ws'}://${base.host}${PROTOCOLS[protocol].path}`),
  };
}

async function getToken(ctx: DoctorContext, protocol: 'v3' | 'v2', http: URL): Promise<{ token: string } | Finding> {
  const expires = ctx.opts.tokenExpiresInSeconds ?? 60;
  const api = http.origin === ctx.base.origin ? ctx.api : new ApiClient(http);
  if (api !== ctx.api && ctx.api.insecure) await api.allowInsecure();
  try {
    const a =
      protocol === 'v3'
        ? await api.call('GET', `/v3/token?expires_in_seconds=${expires}`, { headers: authHeaders(ctx) })
        : await api.call('POST', '/v2/realtime/token', {
            headers: { ...authHeaders(ctx), 'content-type': 'application/json' },
            body: JSON.stringify({ expires_in: expires }),
          });
    const token = (a.json as { token?: unknown } | undefined)?.token;
    if (a.status === 200 && typeof token === 'string') return { token };
    const where = protocol === 'v3' ? `GET ${http.origin}/v3/token` : `POST ${http.origin}/v2/realtime/token`;
    if (a.status === 400) {
      return f.fail(
        'token_expiry_invalid',
        `${where} refused expires=${expires}: ${errorText(a)}.`,
        protocol === 'v3'
          ? 'expires_in_seconds must be 1–600 (and max_session_duration_seconds 60–10800).'
          : 'expires_in must be at least 60.',
        { status: a.status },
      );
    }
    if (a.status === 404) {
      const fix =
        ctx.kind !== 'assemblyai'
          ? 'This server has no token endpoint for this protocol.'
          : protocol === 'v2'
            ? 'AssemblyAI retired v2 realtime: move to v3 Universal Streaming (wss://streaming.assemblyai.com/v3/ws).'
            : 'v3 tokens come from https://streaming.assemblyai.com/v3/token (the SDK option streamingBaseUrl), not api.assemblyai.com.';
      return f.fail('token_endpoint_missing', `${where} answers 404.`, fix, { status: 404 });
    }
    return f.fail('token_failed', `${where} answered ${a.status}: ${errorText(a)}.`, 'See the auth findings.', { status: a.status });
  } catch (err) {
    return f.fail('token_failed', `Getting a temporary token failed: ${(err as Error).message}.`, 'Check the streaming host is reachable.');
  } finally {
    if (api !== ctx.api) await api.close();
  }
}

interface SessionOutcome {
  begun: boolean;
  beginMs: number | null;
  expiresAt: number | null;
  turns: string[];
  firstTurnMs: number | null;
  ended: boolean;
  close: { code: number; reason: string } | null;
  httpStatus: number | null;
  error: string | null;
  errorCode: string | null;
  serverErrors: string[];
}

/** One session: connect, await Begin, send `audio` in 100 ms chunks at real-time pace, Terminate, collect turns. */
function runSession(
  url: URL,
  headers: Record<string, string>,
  insecure: boolean,
  protocol: Protocol,
  audio: Buffer,
  chunkBytes: number,
  signal?: AbortSignal,
): Promise<SessionOutcome> {
  return new Promise((resolve) => {
    const o: SessionOutcome = {
      begun: false,
      beginMs: null,
      expiresAt: null,
      turns: [],
      firstTurnMs: null,
      ended: false,
      close: null,
      httpStatus: null,
      error: null,
      errorCode: null,
      serverErrors: [],
    };
    const started = performance.now();
    const ws = new WebSocket(url, { headers, rejectUnauthorized: !insecure, handshakeTimeout: 10_000 });
    let sending: NodeJS.Timeout | null = null;
    const overall = setTimeout(() => ws.terminate(), 30_000);
    const finish = () => {
      clearTimeout(overall);
      if (sending) clearTimeout(sending);
      resolve(o);
    };
    signal?.addEventListener('abort', () => ws.terminate(), { once: true });
    ws.on('unexpected-response', (_req, res) => {
      o.httpStatus = res.statusCode ?? null;
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err: NodeJS.ErrnoException) => {
      o.error ??= err.message;
      o.errorCode ??= err.code ?? null;
    });
    ws.on('message', (data) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(data.toString()) as Record<string, unknown>;
      } catch {
        return;
      }
      if (protocol.begin(m) && !o.begun) {
        o.begun = true;
        o.beginMs = Math.round(performance.now() - started);
        o.expiresAt = protocol.expiresAt(m);
        const chunks: Buffer[] = [];
        for (let i = 0; i < audio.length; i += chunkBytes) chunks.push(audio.subarray(i, i + chunkBytes));
        const t0 = performance.now();
        const next = (n: number) => {
          if (ws.readyState !== ws.OPEN) return;
          if (n >= chunks.length) {
            ws.send(protocol.terminate);
            return;
          }
          ws.send(chunks[n]!);
          sending = setTimeout(() => next(n + 1), Math.max(0, t0 + (n + 1) * CHUNK_MS - performance.now()));
        };
        next(0);
        return;
      }
      const text = protocol.turnText(m);
      if (text !== null && text.trim() !== '') {
        o.turns.push(text.trim());
        o.firstTurnMs ??= Math.round(performance.now() - started);
      }
      if (protocol.end(m)) o.ended = true;
      if (typeof m.error === 'string') o.serverErrors.push(m.error);
    });
    ws.on('close', (code, reason) => {
      o.close = { code, reason: reason.toString() };
      finish();
    });
  });
}

/**
 * Streaming: a temporary token, a session at the declared sample_rate and encoding, real speech
 * sent at real-time pace, then Begin, a Turn and a clean Termination expected. Checks the audio the
 * user plans to send, when given.
 */
export async function checkStreaming(ctx: DoctorContext): Promise<Finding[]> {
  const out: Finding[] = [];
  const rate = ctx.opts.sampleRate ?? 16_000;
  const encoding = ctx.opts.encoding ?? 'pcm_s16le';
  const protocolName = ctx.opts.streamingProtocol ?? 'v3';
  const protocol = PROTOCOLS[protocolName];

  let audio: Buffer | null = null;
  let audioSource = 'the built-in speech sample';
  if (ctx.opts.streamAudio && ctx.vantage === 'client') {
    const planned = await checkPlannedAudio(ctx.opts.streamAudio, { sampleRate: rate, encoding });
    out.push(...planned.findings);
    if (planned.stream) {
      audio = planned.stream.subarray(0, Math.round((SEND_MS / 1000) * rate * bytesPerSample(encoding)));
      audioSource = ctx.opts.streamAudio;
    }
  }
  if (!audio) {
    const validRate = Number.isInteger(rate) && rate >= MIN_RATE && rate <= MAX_RATE;
    // An invalid rate is still sent as declared, to show how the server answers it.
    audio = sampleStream(validRate ? rate : 16_000, encoding);
  }

  const { http, ws } = streamingEndpoints(ctx, protocolName);
  // Inside the server the doctor talks to its own plain listener; whether TLS is served elsewhere is not its call.
  if (ws.protocol === 'ws:' && ctx.vantage === 'client') {
    // On this machine plain ws:// is normal for development: advice, not a problem.
    const level = isLoopbackHost(ws.hostname) ? f.info : f.warn;
    out.push(
      level(
        'ws_insecure',
        `Streaming is served over ws:// (${ws.host}); the Node SDK accepts only wss:// ("Invalid protocol, must be wss"), as do browsers on https pages.`,
        ctx.kind === 'assemblyai'
          ? 'Use wss://.'
          : 'For the Node SDK, serve TLS (earshot serve --tls self-signed, or a TLS proxy) and use wss://HOST:8977.',
        { url: ws.href },
      ),
    );
  }
  if (!ctx.key && !ctx.opts.token) {
    out.push(f.skip('no_key', 'No working API key, so no streaming session was tried.', 'Fix the auth findings first.'));
    return out;
  }

  let token = ctx.opts.token ?? null;
  if (!token) {
    const t = await getToken(ctx, protocolName, http);
    if ('token' in t) token = t.token;
    else {
      out.push(t);
      return out;
    }
  }
  const url = new URL(ws);
  url.searchParams.set('sample_rate', String(rate));
  url.searchParams.set('encoding', encoding);
  url.searchParams.set('token', token);
  const chunkBytes = Math.max(
    1,
    Math.round((CHUNK_MS / 1000) * (Number.isFinite(rate) && rate > 0 ? rate : 16_000) * bytesPerSample(encoding)),
  );
  ctx.progress(`streaming: ${protocolName} session at ${rate} Hz ${encoding}`);
  const o = await runSession(url, {}, ctx.api.insecure, protocol, audio, chunkBytes, ctx.signal);
  const evidence: Record<string, unknown> = {
    url: ws.href,
    protocol: protocolName,
    sample_rate: rate,
    encoding,
    audio: audioSource,
    begin_ms: o.beginMs,
    first_turn_ms: o.firstTurnMs,
    turns: o.turns.slice(-3),
    close: o.close,
    server_errors: o.serverErrors,
  };

  if (!o.begun) {
    if (o.httpStatus !== null) {
      if (o.httpStatus === 404)
        out.push(
          f.fail(
            'no_endpoint',
            `${ws.href} answers 404: no streaming endpoint there.`,
            ctx.kind === 'assemblyai'
              ? 'v3 streams from wss://streaming.assemblyai.com/v3/ws.'
              : `Check the streaming URL (Earshot: ${protocol.path} on the API port).`,
            evidence,
          ),
        );
      else if (o.httpStatus === 401 || o.httpStatus === 403)
        out.push(closeFinding(1008, `HTTP ${o.httpStatus}`, rate, !!ctx.opts.token, evidence));
      else
        out.push(
          f.fail(
            'upgrade_refused',
            `The WebSocket upgrade at ${ws.href} was answered with HTTP ${o.httpStatus}.`,
            'A proxy in front may not pass WebSocket upgrades: allow Upgrade/Connection headers.',
            evidence,
          ),
        );
    } else if (o.close && o.close.code !== 1006) {
      out.push(closeFinding(o.close.code, o.close.reason, rate, !!ctx.opts.token, evidence));
    } else {
      const tls = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS/.test(o.errorCode ?? o.error ?? '');
      out.push(
        tls
          ? f.fail(
              'tls_error',
              `The wss:// certificate is refused (${o.errorCode ?? o.error}).`,
              "Trust the server's certificate on the client (NODE_EXTRA_CA_CERTS), or serve a CA-issued one.",
              evidence,
            )
          : f.fail(
              'unreachable',
              `No WebSocket session at ${ws.href} (${o.errorCode ?? o.error ?? 'closed'}).`,
              'Check the streaming URL and that the server runs.',
              evidence,
            ),
      );
    }
    return out;
  }

  if (o.beginMs !== null && o.beginMs > SDK_CONNECT_TIMEOUT_MS) {
    out.push(
      f.warn(
        'slow_begin',
        `Begin arrived after ${o.beginMs} ms; the Node SDK's connect() gives up after ${SDK_CONNECT_TIMEOUT_MS} ms.`,
        'Raise connectTimeout in the SDK, or find what delays the server (cold decoders, load).',
        evidence,
      ),
    );
  }
  if (o.expiresAt !== null && o.expiresAt < Date.now()) {
    out.push(
      f.warn(
        'expires_in_past',
        `The session's expires_at (${new Date(o.expiresAt).toISOString()}) is already past by this machine's clock.`,
        'Sync the clock (timedatectl set-ntp true).',
        evidence,
      ),
    );
  }
  if (o.close && o.close.code !== 1000) {
    out.push(closeFinding(o.close.code, o.close.reason, rate, !!ctx.opts.token, evidence));
    return out;
  }
  if (o.turns.length === 0) {
    out.push(
      f.warn(
        'no_turn',
        `The session opened and closed cleanly, but no Turn with words came back for ${SEND_MS / 1000} s of speech (${audioSource}).`,
        `Check the audio really is ${encoding} mono at ${rate} Hz (other formats sound like noise to the server).`,
        evidence,
      ),
    );
  } else {
    out.push(
      f.pass(
        'ok',
        `Streaming works: Begin in ${o.beginMs} ms, first words after ${o.firstTurnMs} ms ("${o.turns[o.turns.length - 1]!.slice(0, 60)}"), clean Termination.`,
        undefined,
        evidence,
      ),
    );
  }
  if (!o.ended)
    out.push(
      f.warn(
        'no_termination',
        'The session closed without a Termination message after Terminate.',
        'Wait for Termination before closing the socket, so the last turn is not lost.',
        evidence,
      ),
    );
  return out;
}
