import { spawn, execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN } from './server.js';
import { promisify } from 'node:util';
import { resolveFfmpeg } from '../src/audio/ffmpeg.js';
import { freePort } from '../src/net/free-port.js';
import { launchChromium } from '../src/chromium.js';
import { openDb } from '../src/db/index.js';
import { migrate } from '../src/db/migrations.js';
import { createKey } from '../src/storage/keys.js';
import { FileBlobStore } from '../src/storage/blobs.js';
import { PeaksStore } from '../src/storage/peaks.js';
import { finishAttempt, insertTranscript, startAttempt } from '../src/storage/transcripts.js';
import { UploadStore } from '../src/storage/uploads.js';
import { parseTranscriptParams } from '../src/transcript/params.js';
import type { TranscriptWord } from '../src/transcript/types.js';

const HOURS = 2;
const TARGET_MS = 500;
const RUNS = 5;
/** What the transcript page marks once the text is painted (console/src/transcript-page.tsx). */
const RENDERED_MARK = 'earshot:transcript-rendered';

export interface Measure {
  name: string;
  value: number;
  unit: string;
  target: number;
  pass: boolean;
}

const VOCABULARY = (
  'the of and to in a is that for it as was with be by on not he i this are or his from at which but have an they you were her she there one all we ' +
  'their would been has when who will more no if out so said what up its about into them than can only other new some could time these two may then do ' +
  'first any my now such like our over man me even most made after also did many before must through back years where much your way well down should ' +
  'because each just those people mister dashwood how too little state good very make world still own see men work long get here between both life being'
).split(' ');

/** About 150 words a minute in sentences of 6–20 words, confidences spread so some are marked low. */
function syntheticWords(hours: number): TranscriptWord[] {
  const words: TranscriptWord[] = [];
  let t = 300;
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  while (t < hours * 3600_000 - 5000) {
    const length = 6 + Math.floor(rand() * 15);
    for (let i = 0; i < length; i++) {
      let text = VOCABULARY[Math.floor(rand() * VOCABULARY.length)]!;
      if (i === 0) text = text[0]!.toUpperCase() + text.slice(1);
      if (i === length - 1) text += '.';
      const dur = 180 + Math.floor(rand() * 250);
      words.push({ text, start: t, end: t + dur, confidence: Math.round((0.35 + rand() * 0.65) * 1000) / 1000, speaker: null });
      t += dur + 30 + Math.floor(rand() * 60);
    }
    t += rand() < 0.08 ? 2500 : 400; // some long pauses, which start paragraphs
  }
  return words;
}

/**
 * Time to first render of the console's transcript page for a 2-hour transcript: from navigation
 * start to the text painted, in a fresh browser context (cold cache) each run, median of RUNS.
 * The transcript is seeded straight into storage (transcribing 2 hours would take the bench far
 * longer than the page); its upload is real 2-hour audio, and its peaks come from the same code
 * the pipeline runs.
 */
export async function consoleFirstRender(): Promise<Measure> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'earshot-console-bench-'));
  const dataDir = path.join(tmp, 'data');
  const key = randomBytes(16).toString('hex');
  let server: ReturnType<typeof spawn> | null = null;
  let browser: Awaited<ReturnType<typeof launchChromium>> | null = null;
  try {
    // Two hours of speech-like noise (bursts and pauses), 8 kHz mu-law: quick to make, realistic to decode.
    const audio = path.join(tmp, 'two-hours.wav');
    await promisify(execFile)(resolveFfmpeg(), [
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `anoisesrc=d=${HOURS * 3600}:c=pink:r=8000:a=0.4`,
      '-af',
      'tremolo=f=0.7:d=0.95',
      '-ac',
      '1',
      '-c:a',
      'pcm_mulaw',
      audio,
    ]);

    const db = await openDb({ dataDir, databaseUrl: null });
    let id: string;
    try {
      await migrate(db);
      const { project_id: projectId } = await createKey(db, { key, name: 'bench' });
      const blobs = new FileBlobStore(dataDir);
      const uploads = new UploadStore(db, blobs, 24);
      const upload = await uploads.save(createReadStream(audio), projectId, Number.MAX_SAFE_INTEGER);
      id = randomUUID();
      const params = parseTranscriptParams({ audio_url: `http://127.0.0.1/v2/upload/${upload.id}` });
      await insertTranscript(db, { id, projectId, params, uploadId: upload.id });
      const attempt = (await startAttempt(db, id, randomUUID(), 60))!;
      const words = syntheticWords(HOURS);
      const text = words.map((w) => w.text).join(' ');
      await finishAttempt(db, id, attempt, {
        result: { text, words, confidence: 0.8, audio_duration: HOURS * 3600, speech_model_used: 'bench', language_code: 'en_us' },
      });
      const started = Date.now();
      await new PeaksStore(blobs).compute(id, blobs.localPath(UploadStore.keyOf(upload.id)));
      process.stderr.write(`console bench: ${words.length} words; peaks of ${HOURS} h of audio computed in ${Date.now() - started} ms\n`);
    } finally {
      await db.close();
    }

    const port = await freePort();
    server = spawn(process.execPath, [BIN, 'serve'], {
      env: {
        ...process.env,
        EARSHOT_DATA_DIR: dataDir,
        EARSHOT_HOST: '127.0.0.1',
        EARSHOT_PORT: String(port),
        EARSHOT_API_KEY: key,
        EARSHOT_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += d;
        if (out.includes('Earshot listening on')) resolve();
      };
      server!.stdout!.on('data', onData);
      server!.stderr!.on('data', onData);
      server!.once('exit', (code) => reject(new Error(`earshot serve exited with ${code}: ${out}`)));
    });
    const url = `http://127.0.0.1:${port}`;

    browser = await launchChromium();
    const times: number[] = [];
    // One warm-up (the server's caches, as in use), then cold-browser runs.
    for (let run = 0; run <= RUNS; run++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      await context.addInitScript((k) => localStorage.setItem('earshot.key', k), key);
      const page = await context.newPage();
      await page.goto(`${url}/#/t/${id}`);
      await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, RENDERED_MARK, { timeout: 30_000 });
      const ms = await page.evaluate((mark) => performance.getEntriesByName(mark)[0]!.startTime, RENDERED_MARK);
      if (run > 0) times.push(ms);
      await context.close();
    }
    times.sort((a, b) => a - b);
    const median = Math.round(times[Math.floor(times.length / 2)]!);
    process.stderr.write(`console bench: first render ${times.map(Math.round).join(', ')} ms\n`);
    return {
      name: `Console: transcript page first render (${HOURS} h transcript)`,
      value: median,
      unit: 'ms',
      target: TARGET_MS,
      pass: median < TARGET_MS,
    };
  } finally {
    await browser?.close();
    server?.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  }
}
