import { parentPort, workerData } from 'node:worker_threads';
import { pcmToFloat } from '../engines/diarization.js';
import { type EngineWord, SAMPLE_RATE, type StreamingDecoder, type StreamingEngine } from '../engines/engine.js';
import { createPocketsphinxEngine, SPARE_IDLE_MS } from '../engines/pocketsphinx.js';
import { keptModel } from '../engines/kept-model.js';
import type { LanguageIdModel, WhisperLanguageId } from '../engines/language-id.js';
import type { SpeakerEmbedder } from '../engines/speaker-embedding.js';
import type { DecoderReply, DecoderRequest, DecoderWorkerData } from './decoder-pool.js';

/**
 * Worker-thread entry for live sessions: one engine (model loaded once) and one incremental
 * decoder per session, so decoding never blocks the HTTP and WebSocket thread. The engine is the
 * streaming model `EARSHOT_STREAMING_MODEL` names when it is installed, else pocketsphinx.
 */
const port = parentPort!;
const { streamingModel, dataDir } = workerData as DecoderWorkerData;
let engine: StreamingEngine | null = null;
let loading: Promise<StreamingEngine> | null = null;
/**
 * The utterance's audio since the last `end`, for its voice embedding and its language; `startMs` is where it begins
 * in the stream.
 */
interface Voice {
  embedder: Promise<SpeakerEmbedder> | null;
  identifier: Promise<WhisperLanguageId> | null;
  chunks: Buffer[];
  startMs: number;
  endMs: number;
}
const decoders = new Map<string, { decoder: StreamingDecoder; voice: Voice | null }>();
/** Upstream labels turns under about a second "UNKNOWN": too little voice to embed. */
const MIN_VOICE_MS = 1000;
const BYTES_PER_MS = (SAMPLE_RATE * 2) / 1000;
/**
 * The next session's decoder, loaded ahead of time so its first audio need not wait for the model; freed
 * when no session takes it for a while (a pocketsphinx decoder holds ~90 MB of models).
 */
let spare: StreamingDecoder | null = null;
let spareTimer: NodeJS.Timeout | undefined;

async function createStreamingEngine(): Promise<StreamingEngine> {
  if (streamingModel) {
    const { resolveSherpaModel } = await import('../engines/sherpa-models.js');
    const model = await resolveSherpaModel(dataDir, streamingModel, true);
    if (model) {
      const { createSherpaStreamingEngine } = await import('../engines/sherpa.js');
      // One thread per recognizer: the pool already runs a decoder thread per core.
      return createSherpaStreamingEngine({ model, threads: 1 });
    }
  }
  return createPocketsphinxEngine();
}

/** The loaded engine; one that failed to load is tried again by the next session. */
function loaded(): Promise<StreamingEngine> {
  if (engine) return Promise.resolve(engine);
  loading ??= createStreamingEngine().then(
    (e) => (engine = e),
    (err: unknown) => {
      loading = null;
      throw err;
    },
  );
  return loading;
}

function prepareSpare() {
  setImmediate(() => {
    if (!engine || spare) return;
    spare = engine.createStream();
    clearTimeout(spareTimer);
    spareTimer = setTimeout(() => {
      spare?.close();
      spare = null;
    }, SPARE_IDLE_MS);
    spareTimer.unref();
  });
}

function takeSpare(): StreamingDecoder | null {
  clearTimeout(spareTimer);
  const taken = spare;
  spare = null;
  return taken;
}

/** The embedder of `model`, loaded once per thread (again after a failed load). */
const embedderFor = keptModel(
  (model: string) => import('../engines/speaker-embedding.js').then((m) => m.SpeakerEmbedder.load(model, 1)),
  (model) => model,
);

/** The identifier of `model`, loaded once per thread (again after a failed load). */
const identifierFor = keptModel(
  (model: LanguageIdModel) => import('../engines/language-id.js').then((m) => m.WhisperLanguageId.load(model, 1)),
  (m) => `${m.encoder}\n${m.decoder}`,
);

/**
 * The voice embedding and the most probable language of the span the words cover, each asked for; both null when it
 * is under MIN_VOICE_MS. The kept audio is let go.
 */
async function describeUtterance(voice: Voice, words: EngineWord[]): Promise<Pick<DecoderReply, 'embedding' | 'language'>> {
  const chunks = voice.chunks;
  const startMs = voice.startMs;
  voice.chunks = [];
  voice.startMs = voice.endMs;
  const first = words[0];
  const last = words.at(-1);
  const none = { ...(voice.embedder && { embedding: null }), ...(voice.identifier && { language: null }) };
  if (!first || !last || last.end - first.start < MIN_VOICE_MS) return none;
  const all = pcmToFloat(chunks);
  const at = (ms: number) => Math.max(0, Math.min(all.length, Math.round(((ms - startMs) * SAMPLE_RATE) / 1000)));
  const span = all.subarray(at(first.start), at(last.end));
  return {
    ...(voice.embedder && { embedding: await (await voice.embedder).embed(span) }),
    ...(voice.identifier && { language: (await (await voice.identifier).identify(span))[0] ?? null }),
  };
}

function session(id: string) {
  const s = decoders.get(id);
  if (!s) throw new Error('unknown session');
  return s;
}

function handle(e: StreamingEngine, msg: DecoderRequest): DecoderReply | Promise<DecoderReply> {
  switch (msg.op) {
    case 'open': {
      const embedder = msg.embeddingModel ? embedderFor(msg.embeddingModel) : null;
      const identifier = msg.languageIdModel ? identifierFor(msg.languageIdModel) : null;
      const voice = embedder || identifier ? { embedder, identifier, chunks: [], startMs: 0, endMs: 0 } : null;
      // A model that fails to load is reported on the first `end` that needs it.
      embedder?.catch(() => undefined);
      identifier?.catch(() => undefined);
      decoders.set(msg.session, { decoder: takeSpare() ?? e.createStream(), voice });
      prepareSpare();
      return { id: msg.id, model: e.model };
    }
    case 'accept': {
      const { decoder, voice } = session(msg.session);
      const pcm = Buffer.from(msg.pcm);
      if (voice) {
        voice.chunks.push(pcm);
        voice.endMs += pcm.length / BYTES_PER_MS;
      }
      return { id: msg.id, hypothesis: decoder.accept(pcm) };
    }
    case 'end': {
      const { decoder, voice } = session(msg.session);
      const words = decoder.endUtterance();
      if (!voice) return { id: msg.id, words };
      return describeUtterance(voice, words).then((described) => ({ id: msg.id, words, ...described }));
    }
    case 'close':
      decoders.get(msg.session)?.decoder.close();
      decoders.delete(msg.session);
      return { id: msg.id };
  }
}

const reply = (msg: DecoderRequest, e: StreamingEngine) => {
  const failed = (err: unknown) => port.postMessage({ id: msg.id, error: (err as Error).message } satisfies DecoderReply);
  try {
    const r = handle(e, msg);
    if (r instanceof Promise) r.then((done) => port.postMessage(done), failed);
    else port.postMessage(r);
  } catch (err) {
    failed(err);
  }
};

port.on('message', (msg: DecoderRequest) => {
  // Once loaded, replies stay synchronous and in order; before, every message waits for the same load.
  if (engine) return reply(msg, engine);
  loaded().then(
    (e) => reply(msg, e),
    (err: Error) => port.postMessage({ id: msg.id, error: err.message } satisfies DecoderReply),
  );
});
