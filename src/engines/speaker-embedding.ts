import { createRequire } from 'node:module';
import { SAMPLE_RATE } from './engine.js';

const require = createRequire(import.meta.url);

interface SherpaStream {
  acceptWaveform(wave: { sampleRate: number; samples: Float32Array }): void;
  inputFinished(): void;
}

interface SherpaExtractor {
  dim: number;
  createStream(): SherpaStream;
  compute(stream: SherpaStream, enableExternalBuffer?: boolean): Float32Array;
}

/**
 * sherpa-onnx's SpeakerEmbeddingExtractor (WeSpeaker, 3D-Speaker, NeMo models), configured as its Node example
 * (nodejs-addon-examples/test_speaker_identification.js) configures it. `embed` runs synchronously on the calling
 * thread: callers are worker threads.
 */
export class SpeakerEmbedder {
  private constructor(private readonly extractor: SherpaExtractor) {}

  static async load(model: string, threads: number): Promise<SpeakerEmbedder> {
    // As for diarization: sherpa-onnx aborts the process on a file onnxruntime cannot parse; onnxruntime-node throws.
    const { InferenceSession } = await import('onnxruntime-node');
    try {
      await (await InferenceSession.create(model)).release();
    } catch (err) {
      throw new Error(`the speaker embedding model ${model} cannot be loaded: ${(err as Error).message}`);
    }
    const sherpa = require('sherpa-onnx-node') as { SpeakerEmbeddingExtractor: new (config: object) => SherpaExtractor };
    return new SpeakerEmbedder(new sherpa.SpeakerEmbeddingExtractor({ model, numThreads: threads, debug: 0 }));
  }

  /** The voice embedding of 16 kHz samples in [-1, 1]. */
  embed(samples: Float32Array): Float32Array {
    const stream = this.extractor.createStream();
    stream.acceptWaveform({ sampleRate: SAMPLE_RATE, samples });
    stream.inputFinished();
    // A copy: with an external buffer the array would alias native memory freed with the stream.
    return Float32Array.from(this.extractor.compute(stream, false));
  }
}
