import { parentPort, workerData } from 'node:worker_threads';
import type { StreamingDecoder, StreamingEngine } from '../engines/engine.js';
import { createPocketsphinxEngine } from '../engines/pocketsphinx.js';
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
const decoders = new Map<string, StreamingDecoder>();
/** The next session's decoder, loaded ahead of time so its first audio need not wait for the model. */
let spare: StreamingDecoder | null = null;

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
    if (engine) spare ??= engine.createStream();
  });
}

function handle(e: StreamingEngine, msg: DecoderRequest): DecoderReply {
  switch (msg.op) {
    case 'open':
      decoders.set(msg.session, spare ?? e.createStream());
      spare = null;
      prepareSpare();
      return { id: msg.id, model: e.model };
    case 'accept': {
      const d = decoders.get(msg.session);
      if (!d) throw new Error('unknown session');
      return { id: msg.id, hypothesis: d.accept(Buffer.from(msg.pcm)) };
    }
    case 'end': {
      const d = decoders.get(msg.session);
      if (!d) throw new Error('unknown session');
      return { id: msg.id, words: d.endUtterance() };
    }
    case 'close':
      decoders.get(msg.session)?.close();
      decoders.delete(msg.session);
      return { id: msg.id };
  }
}

const reply = (msg: DecoderRequest, e: StreamingEngine) => {
  try {
    port.postMessage(handle(e, msg));
  } catch (err) {
    port.postMessage({ id: msg.id, error: (err as Error).message } satisfies DecoderReply);
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
