import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { speechFile, warmupClip } from './audio.js';
import { failed, metric, spread, timedProcess, withServer, type Measurement, type MetricSpec, type ProcessRun } from './measures.js';
import { REPO, timeTranscript, uploadFile } from './server.js';
import { mb, median, round, waitForQuiet } from './util.js';

const SERVER: MetricSpec = {
  id: 'sherpa_server_overhead',
  name: 'Warm server on a sherpa-onnx model, POST to completed / sherpa-onnx called directly (whole processes, stand-in model)',
  unit: '×',
  op: '<=',
  target: 1.05,
};
const CLI: MetricSpec = {
  id: 'sherpa_cli_overhead',
  name: '`earshot transcribe` on a sherpa-onnx model / sherpa-onnx called directly (whole processes, stand-in model)',
  unit: '×',
  op: '<=',
  target: 1.1,
};

/**
 * What a sherpa-onnx user runs instead: its Node example for the model family (nodejs-addon-examples/
 * test_asr_non_streaming_nemo_parakeet_tdt_v2.js, with the same model config Earshot builds), on the same WAV.
 */
const DIRECT = `const sherpa = require(${JSON.stringify(path.join(REPO, 'node_modules', 'sherpa-onnx-node'))});
const [dir, wav] = process.argv.slice(2);
const recognizer = new sherpa.OfflineRecognizer({
  featConfig: { sampleRate: 16000, featureDim: 80 },
  modelConfig: {
    transducer: { encoder: dir + '/encoder.onnx', decoder: dir + '/decoder.onnx', joiner: dir + '/joiner.onnx' },
    tokens: dir + '/tokens.txt', numThreads: 1, provider: 'cpu', debug: 0, modelType: 'nemo_transducer',
  },
});
const stream = recognizer.createStream();
const wave = sherpa.readWave(wav);
stream.acceptWaveform({ sampleRate: wave.sampleRate, samples: wave.samples });
recognizer.decode(stream);
console.log(recognizer.getResult(stream).text);
`;

/**
 * Earshot's overhead over sherpa-onnx on the same file and model, as whole processes alternating in one run: the
 * Node example above, `earshot transcribe`, and a warm server. No real sherpa model can be fetched here, so the model is
 * the weight-free NeMo TDT stand-in of the engine tests: its inference is nearly free, so the ratio shows what Earshot
 * adds (decoding with ffmpeg, cutting at pauses, formatting, the job pipeline) at its largest share, not a real model's.
 */
export const sherpaOverhead: Measurement = {
  name: 'sherpa overhead',
  metrics: [SERVER, CLI],
  async run(b) {
    try {
      const { overheadRuns: runs, speechSeconds } = b.sizes;
      const model = path.join(b.tmp, 'sherpa-onnx-nemo-tdt-standin');
      mkdirSync(model, { recursive: true });
      execFileSync('/usr/bin/python3', [path.join(REPO, 'test', 'helpers', 'make_nemo_tdt_standin.py')], {
        env: { ...process.env, OUT: model },
      });
      const direct = path.join(b.tmp, 'sherpa-direct.cjs');
      writeFileSync(direct, DIRECT);
      const file = await speechFile(b.tmp, speechSeconds);
      const env = { EARSHOT_ENGINE: 'sherpa', EARSHOT_SHERPA_MODEL: model, EARSHOT_CONCURRENCY: '1' };
      const cliEnv = { ...process.env, ...env, EARSHOT_DATA_DIR: path.join(b.tmp, 'sherpa-cli-data'), EARSHOT_LOG_LEVEL: 'warn' };
      return await withServer(b, 'sherpa', env, async (s) => {
        await timeTranscript(s, await uploadFile(s, warmupClip()));
        const url = await uploadFile(s, file);
        const bare: ProcessRun[] = [];
        const cli: ProcessRun[] = [];
        const server: number[] = [];
        for (let i = 0; i < runs; i++) {
          await waitForQuiet(b.log);
          bare.push(await timedProcess(process.execPath, [direct, model, file]));
          await waitForQuiet(b.log);
          cli.push(await timedProcess(process.execPath, [b.bin, 'transcribe', file, '--quiet'], cliEnv));
          await waitForQuiet(b.log);
          server.push((await timeTranscript(s, url)).ms);
          b.log(
            `  run ${i + 1}/${runs}: sherpa-onnx ${Math.round(bare.at(-1)!.ms)} ms, earshot transcribe ${Math.round(cli.at(-1)!.ms)} ms, server ${Math.round(server.at(-1)!)} ms`,
          );
        }
        const bareMs = median(bare.map((r) => r.ms));
        const details = {
          audioSeconds: speechSeconds,
          runs,
          model: 'handmade NeMo TDT stand-in (test/helpers/make_nemo_tdt_standin.py)',
          sherpaDirectMs: spread(bare.map((r) => r.ms)),
          earshotTranscribeMs: spread(cli.map((r) => r.ms)),
          serverEndToEndMs: spread(server),
          sherpaDirectPeakRssMB: mb(Math.max(...bare.map((r) => r.peakRss))),
          earshotTranscribePeakRssMB: mb(Math.max(...cli.map((r) => r.peakRss))),
        };
        return [
          metric(SERVER, round(median(server) / bareMs, 3), details),
          metric(CLI, round(median(cli.map((r) => r.ms)) / bareMs, 3), details),
        ];
      });
    } catch (err) {
      return [failed(SERVER, err), failed(CLI, err)];
    }
  },
};
