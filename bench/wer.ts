/**
 * `npm run bench:wer [-- --jfk path/to/jfk.wav]`: word error rate and decode speed of pocketsphinx batch settings
 * on the LibriVox clips of pocketsphinx-testdata and JFK's line (spoken by espeak-ng, or whisper.cpp's real
 * `samples/jfk.wav` with --jfk). Prints a Markdown table. Each setting is what `pocketsphinx_continuous` gives
 * with the same flags (test/engines/pocketsphinx.test.ts holds Earshot to that, word for word).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeAudio } from '../src/audio/decode.js';
import { BATCH_ARGS, createPocketsphinxEngine } from '../src/engines/pocketsphinx.js';
import { wordErrorRate } from '../src/text/wer.js';
import { JFK_TEXT, jfkLikeClip, librivoxReferenceClips, type ReferenceClip } from './audio.js';

const WIDE = { '-beam': '1e-60', '-wbeam': '1e-40', '-pbeam': '1e-60' };
const SETTINGS: { name: string; args: Record<string, string> }[] = [
  { name: 'pocketsphinx defaults (-topn 4)', args: {} },
  { name: `Earshot default (${Object.entries(BATCH_ARGS).flat().join(' ')})`, args: { ...BATCH_ARGS } },
  { name: '-topn 16', args: { '-topn': '16' } },
  { name: '-topn 8, -beam 1e-60 -wbeam 1e-40 -pbeam 1e-60', args: { '-topn': '8', ...WIDE } },
];

async function decode(
  engine: ReturnType<typeof createPocketsphinxEngine>,
  wav: string,
): Promise<{ text: string; ms: number; audioMs: number }> {
  // The engine loads the next decoder right after a job: let it, so the timing is the decode alone.
  await new Promise((r) => setTimeout(r, 50));
  const audio = decodeAudio(wav);
  const start = performance.now();
  const [result, { durationMs }] = await Promise.all([engine.transcribe(audio.pcm), audio.done]);
  return { text: result.words.map((w) => w.text).join(' '), ms: performance.now() - start, audioMs: durationMs };
}

async function main() {
  const { values } = parseArgs({ options: { jfk: { type: 'string' } } });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'earshot-wer-'));
  try {
    const jfk: ReferenceClip = values.jfk ? { id: 'jfk', wav: values.jfk, reference: JFK_TEXT } : await jfkLikeClip(dir);
    const clips = [...librivoxReferenceClips(), jfk];
    const rows: string[] = [];
    for (const s of SETTINGS) {
      const engine = createPocketsphinxEngine({ batchArgs: s.args });
      await decode(engine, clips[0]!.wav); // loads the model
      let refWords = 0;
      let errors = 0;
      let librivoxErrors = 0;
      let librivoxWords = 0;
      let ms = 0;
      let audioMs = 0;
      for (const clip of clips) {
        const r = await decode(engine, clip.wav);
        const n = clip.reference.split(' ').length;
        const e = wordErrorRate(clip.reference, r.text) * n;
        refWords += n;
        errors += e;
        if (clip !== jfk) (librivoxErrors += e), (librivoxWords += n);
        ms += r.ms;
        audioMs += r.audioMs;
      }
      await engine.close();
      const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
      rows.push(
        `| ${s.name} | ${pct(librivoxErrors / librivoxWords)} | ${pct(errors / refWords)} | ${(ms / 1000).toFixed(1)} s | ${(ms / audioMs).toFixed(2)}× |`,
      );
      console.error(rows.at(-1));
    }
    console.log(`| Setting | WER, 5 LibriVox clips | WER, with ${jfk.id} | Decode time | Time / audio |`);
    console.log('|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
