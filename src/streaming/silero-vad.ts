import * as ort from 'onnxruntime-node';
import { SAMPLE_RATE } from '../engines/engine.js';
import { Framer, type Vad } from './vad.js';

/** Silero VAD (v5/v6 ONNX) reads 512-sample windows at 16 kHz, each after the previous window's last 64 samples. */
const WINDOW = 512;
const CONTEXT = 64;
const WINDOW_MS = (WINDOW * 1000) / SAMPLE_RATE;
const STATE_SIZE = 2 * 1 * 128;

/** The loaded Silero VAD network, shared by every live session of the process; each session keeps its own state. */
export class SileroModel {
  private readonly sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(SAMPLE_RATE)]), []);

  private constructor(private readonly session: ort.InferenceSession) {}

  static async load(file: string): Promise<SileroModel> {
    // One thread per call: a window takes well under a millisecond, and the cores belong to the decoders.
    const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    const inputs = session.inputNames.join(',');
    if (inputs !== 'input,state,sr') {
      await session.release();
      throw new Error(`${file} is not a Silero VAD v5/v6 model (its inputs are ${inputs}, expected input,state,sr)`);
    }
    return new SileroModel(session);
  }

  open(threshold: number): Vad {
    return new SileroVad(this, threshold);
  }

  /** Speech probability of one window (CONTEXT + WINDOW samples in [-1, 1]), and the state to carry on with. */
  async probability(samples: Float32Array, state: ort.Tensor): Promise<{ probability: number; state: ort.Tensor }> {
    const out = await this.session.run({ input: new ort.Tensor('float32', samples, [1, samples.length]), state, sr: this.sr });
    return { probability: (out.output!.data as Float32Array)[0]!, state: out.stateN! };
  }

  close(): Promise<void> {
    return this.session.release();
  }
}

class SileroVad implements Vad {
  lastSpeechMs = 0;
  /**
   * Its speech end lags the true one by about 90 ms, where the recogniser's live hypothesis
   * stretches the last word into the silence that follows by 200 ms or more.
   */
  readonly trusted = true;
  readonly frameSamples = WINDOW;
  private state: ort.Tensor = new ort.Tensor('float32', new Float32Array(STATE_SIZE), [2, 1, 128]);
  private readonly context = new Float32Array(CONTEXT);
  private readonly framer = new Framer(WINDOW);
  private positionMs = 0;

  constructor(
    private readonly model: SileroModel,
    public threshold: number,
  ) {}

  async push(pcm: Buffer): Promise<void> {
    for (const window of this.framer.frames(pcm)) {
      const x = new Float32Array(CONTEXT + WINDOW);
      x.set(this.context);
      for (let j = 0; j < WINDOW; j++) x[CONTEXT + j] = window[j]! / 32768;
      this.context.set(x.subarray(WINDOW));
      const { probability, state } = await this.model.probability(x, this.state);
      this.state = state;
      this.positionMs += WINDOW_MS;
      if (probability >= this.threshold) this.lastSpeechMs = this.positionMs;
    }
  }
}
