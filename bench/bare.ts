/**
 * `node dist-bench/bench/bare.js FILE`: transcribes FILE with the bare pocketsphinx engine in this process
 * (model load not timed) and prints `{"ms":…,"words":…}`. The concurrency bench runs two of these at
 * once to find the machine's own ceiling for two engines side by side, with no server involved.
 */
import { decodeAudio } from '../src/audio/decode.js';
import { createPocketsphinxEngine } from '../src/engines/pocketsphinx.js';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node dist-bench/bench/bare.js FILE\n');
  process.exit(2);
}
const engine = createPocketsphinxEngine();
const t0 = performance.now();
const audio = decodeAudio(file);
const [result] = await Promise.all([engine.transcribe(audio.pcm), audio.done]);
const ms = performance.now() - t0;
await engine.close();
process.stdout.write(`${JSON.stringify({ ms, words: result.words.length })}\n`);
