import { parentPort } from 'node:worker_threads';
import type { StreamingDecoder, StreamingEngine } from '../engines/engine.js';
import { createPocketsphinxEngine } from '../engines/pocketsphinx.js';
import type { DecoderReply, DecoderRequest } from './decoder-pool.js';

/**
 * Worker-thread entry for live sessions: one engine (model loaded once) and one incremental
 * decoder per session, so decoding never blocks the HTTP and WebSocket thread.
 */
const port = parentPort!;
let engine: StreamingEngine | null = null;
const decoders = new Map<string, StreamingDecoder>();
/** The next session's decoder, loaded ahead of time so its first audio need not wait for the model. */
let spare: StreamingDecoder | null = null;

function prepareSpare() {
  setImmediate(() => {
    engine ??= createPocketsphinxEngine();
    spare ??= engine.createStream();
  });
}

function handle(msg: DecoderRequest): DecoderReply {
  engine ??= createPocketsphinxEngine();
  switch (msg.op) {
    case 'open':
      decoders.set(msg.session, spare ?? engine.createStream());
      spare = null;
      prepareSpare();
      return { id: msg.id };
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

port.on('message', (msg: DecoderRequest) => {
  try {
    port.postMessage(handle(msg));
  } catch (err) {
    port.postMessage({ id: msg.id, error: (err as Error).message } satisfies DecoderReply);
  }
});
