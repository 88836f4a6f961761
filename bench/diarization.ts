import path from 'node:path';
import { readFileSync } from 'node:fs';
import { Diarizer, pcmToFloat } from '../src/engines/diarization.js';
import { speechFile } from './audio.js';
import { metric, failed, type Measurement, type MetricSpec } from './measures.js';
import { REPO } from './server.js';
import { median, run } from './util.js';

/** The weight-free stand-ins of ../shared/models/handmade: real models (pyannote, WeSpeaker) cannot be downloaded here. */
const HANDMADE = path.join(REPO, '..', 'shared', 'models', 'handmade');

const PER_MINUTE: MetricSpec = {
  id: 'diarization_ms_per_audio_minute',
  name: 'Diarization time per audio minute (sherpa-onnx, handmade stand-in models, 1 thread, count by threshold)',
  unit: 'ms',
  op: '<=',
  target: 6000,
};

/**
 * What `speaker_labels` adds to a job: the decoded PCM made float, sherpa-onnx's segmentation, embeddings and
 * clustering, as the engine worker runs them. With stand-in models this is the framework's cost (windows,
 * features, clustering), not a real model's inference.
 */
export const diarization: Measurement = {
  name: 'diarization',
  metrics: [PER_MINUTE],
  async run(b) {
    try {
      const seconds = b.sizes.runs === 1 ? 60 : 300;
      const raw = path.join(b.tmp, `diarization-${seconds}s.raw`);
      await run('sox', ['-R', await speechFile(b.tmp, seconds), '-t', 'raw', '-e', 'signed', '-b', '16', '-c', '1', '-r', '16000', raw]);
      const pcm = readFileSync(raw);
      const diarizer = await Diarizer.load(
        { segmentation: path.join(HANDMADE, 'segmentation-energy.onnx'), embedding: path.join(HANDMADE, 'embedding-meanstd.onnx') },
        1,
      );
      const times: number[] = [];
      for (let i = 0; i < b.sizes.runs; i++) {
        const started = process.hrtime.bigint();
        await diarizer.diarize(pcmToFloat([pcm]), { exactly: null, min: 1, max: null }, seconds * 1000);
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
        b.log(`  run ${i + 1}/${b.sizes.runs}: ${Math.round(times.at(-1)!)} ms for ${seconds} s of audio`);
      }
      const value = Math.round(median(times) / (seconds / 60));
      return [
        metric(PER_MINUTE, value, {
          audio_seconds: seconds,
          runs: b.sizes.runs,
          note: 'stand-in models: framework cost, not pyannote/WeSpeaker inference',
        }),
      ];
    } catch (err) {
      return [failed(PER_MINUTE, err)];
    }
  },
};
