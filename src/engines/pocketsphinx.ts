import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import koffi from 'koffi';
import {
  EngineUnavailableError,
  SAMPLE_RATE,
  type EngineResult,
  type EngineWord,
  type StreamingDecoder,
  type StreamingEngine,
  type TranscribeOptions,
} from './engine.js';

/**
 * Debian's libpocketsphinx (5prealpha API) called in-process through koffi. The decoder is not
 * thread-safe, so each engine serialises its work; the engine pool runs one engine per worker
 * thread for parallelism. A batch job always gets a decoder of its own, never used before: live
 * CMN, the VAD's noise estimate and the frame clock all carry over from one audio to the next, so
 * a reused decoder gave different text for the same file depending on what it had heard before.
 */

const LIB_CANDIDATES = ['libpocketsphinx.so.3', 'libpocketsphinx.so'];
const SPHINXBASE_CANDIDATES = ['libsphinxbase.so.3', 'libsphinxbase.so'];
export const DEFAULT_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
const FRAME_MS = 10; // pocketsphinx's default 100 frames per second
const SLICE_BYTES = 2048 * 2; // pocketsphinx_continuous reads 2048 samples at a time
/** Words pocketsphinx emits that are not speech. */
const NON_WORDS = /^(<s>|<\/s>|<sil>|\[NOISE\]|\[SPEECH\]|\[BREATH\]|\[COUGH\]|\[UM\]|\[UH\]|\[SMACK\]|\[LAUGH\]|\[MUSIC\]|\+.*\+|NULL)$/i;
/** Filler words pocketsphinx's dictionary marks as `(N)` alternates, e.g. "the(2)". */
const ALTERNATE = /\(\d+\)$/;

interface Native {
  cmd_ln_init: (...args: unknown[]) => unknown;
  ps_args: () => unknown;
  ps_init: (config: unknown) => unknown;
  ps_free: (ps: unknown) => number;
  cmd_ln_free_r: (config: unknown) => number;
  ps_start_utt: (ps: unknown) => number;
  ps_end_utt: (ps: unknown) => number;
  ps_process_raw: (ps: unknown, data: Int16Array, n: number, noSearch: number, fullUtt: number) => number;
  ps_get_in_speech: (ps: unknown) => number;
  ps_seg_iter: (ps: unknown) => unknown;
  ps_seg_next: (seg: unknown) => unknown;
  ps_seg_word: (seg: unknown) => string;
  ps_seg_frames: (seg: unknown, sf: number[], ef: number[]) => void;
  ps_seg_prob: (seg: unknown, a: number[], l: number[], b: number[]) => number;
  ps_get_logmath: (ps: unknown) => unknown;
  logmath_exp: (lmath: unknown, p: number) => number;
  err_set_logfp: (fp: null) => void;
  logmath_init: (base: number, shift: number, useTable: number) => unknown;
  logmath_free: (lmath: unknown) => number;
  ngram_model_read: (config: null, file: string, type: number, lmath: unknown) => unknown;
  ngram_model_get_counts: (lm: unknown) => unknown;
  ngram_word: (lm: unknown, wid: number) => string;
  ngram_model_free: (lm: unknown) => number;
  /** glibc's `malloc_trim`, where there is one (not on musl): hands freed decoder memory back to the system. */
  malloc_trim: ((pad: number) => number) | null;
}

let native: Native | null = null;

function openFirst(names: string[]) {
  let last: unknown;
  for (const name of names) {
    try {
      return koffi.load(name);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

function mallocTrim(): Native['malloc_trim'] {
  try {
    return koffi.load('libc.so.6').func('int malloc_trim(size_t pad)') as (pad: number) => number;
  } catch {
    return null;
  }
}

function loadNative(): Native {
  if (native) return native;
  let ps: ReturnType<typeof koffi.load>;
  let sb: ReturnType<typeof koffi.load>;
  try {
    sb = openFirst(SPHINXBASE_CANDIDATES);
    ps = openFirst(LIB_CANDIDATES);
  } catch (err) {
    throw new EngineUnavailableError(
      'pocketsphinx',
      `libpocketsphinx could not be loaded (${(err as Error).message}); install it with: apt-get install libpocketsphinx3 pocketsphinx-en-us`,
    );
  }
  koffi.opaque('ps_decoder_t');
  koffi.opaque('cmd_ln_t');
  koffi.opaque('arg_t');
  koffi.opaque('ps_seg_t');
  koffi.opaque('logmath_t');
  native = {
    cmd_ln_init: sb.func('cmd_ln_t *cmd_ln_init(cmd_ln_t *inout, const arg_t *defn, int strict, ...)'),
    ps_args: ps.func('const arg_t *ps_args(void)'),
    ps_init: ps.func('ps_decoder_t *ps_init(cmd_ln_t *config)'),
    ps_free: ps.func('int ps_free(ps_decoder_t *ps)'),
    cmd_ln_free_r: sb.func('int cmd_ln_free_r(cmd_ln_t *config)'),
    ps_start_utt: ps.func('int ps_start_utt(ps_decoder_t *ps)'),
    ps_end_utt: ps.func('int ps_end_utt(ps_decoder_t *ps)'),
    ps_process_raw: ps.func('int ps_process_raw(ps_decoder_t *ps, const int16_t *data, size_t n, int no_search, int full_utt)'),
    ps_get_in_speech: ps.func('uint8_t ps_get_in_speech(ps_decoder_t *ps)'),
    ps_seg_iter: ps.func('ps_seg_t *ps_seg_iter(ps_decoder_t *ps)'),
    ps_seg_next: ps.func('ps_seg_t *ps_seg_next(ps_seg_t *seg)'),
    ps_seg_word: ps.func('const char *ps_seg_word(ps_seg_t *seg)'),
    ps_seg_frames: ps.func('void ps_seg_frames(ps_seg_t *seg, _Out_ int *sf, _Out_ int *ef)'),
    ps_seg_prob: ps.func('int ps_seg_prob(ps_seg_t *seg, _Out_ int *ascr, _Out_ int *lscr, _Out_ int *lback)'),
    ps_get_logmath: ps.func('logmath_t *ps_get_logmath(ps_decoder_t *ps)'),
    logmath_exp: sb.func('double logmath_exp(logmath_t *lmath, int p)'),
    err_set_logfp: sb.func('void err_set_logfp(void *fp)'),
    logmath_init: sb.func('logmath_t *logmath_init(double base, int shift, int use_table)'),
    logmath_free: sb.func('int logmath_free(logmath_t *lmath)'),
    ngram_model_read: sb.func('void *ngram_model_read(void *config, const char *file, int type, logmath_t *lmath)'),
    ngram_model_get_counts: sb.func('uint32_t *ngram_model_get_counts(void *model)'),
    ngram_word: sb.func('const char *ngram_word(void *model, int32_t wid)'),
    ngram_model_free: sb.func('int ngram_model_free(void *model)'),
    malloc_trim: mallocTrim(),
  };
  // The library logs every utterance to stderr; our own logs say what matters. Its log handle is one
  // process-wide FILE* shared by every thread: `-logfn` makes each ps_init fopen a new one and fclose
  // the last, and two threads doing that at once corrupted glibc's stdio list (decoder threads and a
  // fork() for ffmpeg froze on its lock). Disabled here, the handle stays NULL and is never reopened.
  native.err_set_logfp(null);
  return native;
}

interface DecoderHandle {
  ps: unknown;
  config: unknown;
  /** Audio fed to this decoder over its life: its frame numbers never restart, even across utterances. */
  fedMs: number;
}

function checkModel(modelDir: string): void {
  for (const f of ['en-us', 'en-us.lm.bin', 'cmudict-en-us.dict']) {
    if (!fs.existsSync(`${modelDir}/${f}`)) {
      throw new EngineUnavailableError(
        'pocketsphinx',
        `model file ${modelDir}/${f} is missing; install it with: apt-get install pocketsphinx-en-us`,
      );
    }
  }
}

const lmDictionaries = new Map<string, string>();

/**
 * The pronouncing dictionary cut down to the words the language model knows. The search never
 * hypothesises a word the LM lacks, so the text is the same (checked against pocketsphinx_continuous
 * with the full dictionary in test/engines/pocketsphinx.test.ts), and each decoder holds about 14 MB
 * less: 79k of cmudict's 135k entries remain. Made once per machine and model (the LM is read once,
 * about half a second) into the temporary directory; the full dictionary whenever that fails.
 */
function lmDictionary(n: Native, modelDir: string): string {
  const dict = `${modelDir}/cmudict-en-us.dict`;
  const lm = `${modelDir}/en-us.lm.bin`;
  const known = lmDictionaries.get(modelDir);
  if (known) return known;
  let out = dict;
  try {
    const stamp = [dict, lm]
      .map((f) => {
        const st = fs.statSync(f);
        return `${f}:${st.size}:${st.mtimeMs}`;
      })
      .join('|');
    const file = path.join(os.tmpdir(), `earshot-pocketsphinx-${createHash('sha256').update(stamp).digest('hex').slice(0, 16)}.dict`);
    if (!fs.existsSync(file)) {
      const lmath = n.logmath_init(1.0001, 0, 0);
      const model = n.ngram_model_read(null, lm, 0, lmath);
      if (!model) throw new Error(`could not read ${lm}`);
      const unigrams = (koffi.decode(n.ngram_model_get_counts(model), 'uint32_t', 1) as number[])[0]!;
      const vocabulary = new Set<string>();
      for (let wid = 0; wid < unigrams; wid++) vocabulary.add(n.ngram_word(model, wid));
      n.ngram_model_free(model);
      n.logmath_free(lmath);
      const kept = fs
        .readFileSync(dict, 'latin1')
        .split('\n')
        .filter((line) => vocabulary.has(line.slice(0, line.search(/\s/)).replace(ALTERNATE, '')));
      // Written whole, then renamed: another thread or process making the same file never reads half of it.
      const part = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      fs.writeFileSync(part, `${kept.join('\n')}\n`, 'latin1');
      fs.renameSync(part, file);
    }
    out = file;
  } catch {
    // The full dictionary: the same words, 14 MB more per decoder.
  }
  lmDictionaries.set(modelDir, out);
  return out;
}

function createDecoder(n: Native, modelDir: string, extra: Record<string, string> = {}): DecoderHandle {
  const str = 'const char *';
  const args: Record<string, string> = {
    '-hmm': `${modelDir}/en-us`,
    '-lm': `${modelDir}/en-us.lm.bin`,
    '-dict': lmDictionary(n, modelDir),
    ...extra,
  };
  const config = n.cmd_ln_init(null, n.ps_args(), 1, ...Object.entries(args).flatMap(([k, v]) => [str, k, str, v]), str, null);
  if (!config) throw new EngineUnavailableError('pocketsphinx', 'could not build the decoder configuration');
  const ps = n.ps_init(config);
  if (!ps) {
    n.cmd_ln_free_r(config);
    throw new EngineUnavailableError('pocketsphinx', `could not load the model from ${modelDir}`);
  }
  return { ps, config, fedMs: 0 };
}

/** A segment's word as a transcript word ("the(2)" → "the"), or null for silence, fillers and sentence marks. */
export function speechWord(raw: string): string | null {
  return NON_WORDS.test(raw) ? null : raw.replace(ALTERNATE, '');
}

/** Reads the current hypothesis' word segmentation, with times shifted by `offsetMs`. */
function readWords(n: Native, ps: unknown, offsetMs: number): EngineWord[] {
  const words: EngineWord[] = [];
  const lmath = n.ps_get_logmath(ps);
  for (let seg = n.ps_seg_iter(ps); seg; seg = n.ps_seg_next(seg)) {
    const text = speechWord(n.ps_seg_word(seg));
    if (text === null) continue;
    const sf = [0];
    const ef = [0];
    n.ps_seg_frames(seg, sf, ef);
    const prob = n.ps_seg_prob(seg, [0], [0], [0]);
    words.push({
      text,
      start: offsetMs + sf[0] * FRAME_MS,
      end: offsetMs + (ef[0] + 1) * FRAME_MS,
      confidence: Math.min(1, Math.max(0, n.logmath_exp(lmath, prob))),
    });
  }
  return words;
}

/** Copies a PCM byte buffer into an aligned Int16Array (Buffers from streams may sit at odd offsets). */
function toSamples(pcm: Buffer): Int16Array {
  const samples = new Int16Array(pcm.length >> 1);
  Buffer.from(samples.buffer).set(pcm.subarray(0, samples.length * 2));
  return samples;
}

/**
 * One utterance at a time, segmented by the decoder's own voice-activity detection — exactly what
 * `pocketsphinx_continuous` does — so long files never build one huge search lattice.
 */
class Segmenter {
  private inUtterance = false;
  private wasInSpeech = false;
  /** The CLI's `utt_started`: speech was seen since this utterance began. */
  private heardSpeech = false;
  private consumedMs = 0;
  /** Where this audio starts on the decoder's frame clock. */
  private readonly baseMs: number;
  private readonly ps: unknown;
  private carry: Buffer = Buffer.alloc(0);

  /**
   * With `onUtterance`, utterances end at the decoder's own speech-to-silence transitions; without, only on `finish()`.
   * `wholeBlocks` feeds the decoder the CLI's 2048-sample reads and nothing else (the remainder waits for more audio or
   * `flush()`), so a batch decode segments exactly as `pocketsphinx_continuous` does whatever the chunking of its input.
   */
  constructor(
    private readonly n: Native,
    private readonly decoder: DecoderHandle,
    private readonly onUtterance?: (words: EngineWord[]) => void,
    private readonly wholeBlocks = false,
  ) {
    this.ps = decoder.ps;
    this.baseMs = decoder.fedMs;
  }

  get audioMs() {
    return this.consumedMs;
  }

  feed(chunk: Buffer) {
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const usable = this.wholeBlocks ? data.length - (data.length % SLICE_BYTES) : data.length - (data.length % 2);
    this.carry = Buffer.from(data.subarray(usable));
    // Small slices, as the CLI reads them, so a pause inside a big chunk still ends its utterance.
    for (let i = 0; i < usable; i += SLICE_BYTES) this.process(data.subarray(i, Math.min(usable, i + SLICE_BYTES)));
  }

  /** Decodes what is left over from `feed` (the CLI's last, short read). */
  flush() {
    const usable = this.carry.length - (this.carry.length % 2);
    if (usable) this.process(this.carry.subarray(0, usable));
    this.carry = Buffer.alloc(0);
  }

  private process(bytes: Buffer) {
    if (!this.inUtterance) this.start();
    const samples = toSamples(bytes);
    this.n.ps_process_raw(this.ps, samples, samples.length, 0, 0);
    const ms = (samples.length / SAMPLE_RATE) * 1000;
    this.consumedMs += ms;
    this.decoder.fedMs += ms;
    const inSpeech = this.n.ps_get_in_speech(this.ps) !== 0;
    this.heardSpeech ||= inSpeech;
    if (this.onUtterance && this.wasInSpeech && !inSpeech) this.finish();
    this.wasInSpeech = inSpeech;
  }

  get inSpeech() {
    return this.wasInSpeech;
  }

  partial(): EngineWord[] {
    return this.inUtterance ? readWords(this.n, this.ps, -this.baseMs) : [];
  }

  finish(): EngineWord[] {
    if (!this.inUtterance) return [];
    this.n.ps_end_utt(this.ps);
    this.inUtterance = false;
    this.wasInSpeech = false;
    // Like the CLI, an utterance in which the VAD never saw speech has no words.
    const words = this.heardSpeech ? readWords(this.n, this.ps, -this.baseMs) : [];
    this.onUtterance?.(words);
    return words;
  }

  private start() {
    this.n.ps_start_utt(this.ps);
    this.inUtterance = true;
    this.heardSpeech = false;
  }
}

/**
 * Live decoders trade search breadth for latency. The flat-lexicon second pass re-decodes the whole
 * utterance when it ends (about 80 ms per second of speech here), right between the speaker's pause
 * and the end of turn; and unbounded active HMMs let the first pass run at 1.5–3.5× real time
 * around a pause. Without the one and with at most 3000 HMMs and 10 word exits per frame, every
 * 100 ms chunk decodes in under 65 ms, and the LibriVox clips lose as many words as they gain.
 */
const LIVE_ARGS = { '-fwdflat': 'no', '-maxhmmpf': '3000', '-maxwpf': '10' };

/**
 * Batch decodes use pocketsphinx's defaults but for `-topn`, the Gaussians scored per frame: 8 instead of 4
 * took the LibriVox clips and JFK's line (espeak-ng) from 47.3 % to 41.9 % WER with no measurable cost in
 * speed; wider beams gained nothing more here (`npm run bench:wer` prints the table, docs/engines.md
 * "Recognition accuracy"). `pocketsphinx_continuous` with the same flags gives the same words, times and
 * confidences (test/engines/pocketsphinx.test.ts).
 */
export const BATCH_ARGS: Readonly<Record<string, string>> = { '-topn': '8' };

/** A spare decoder unused this long is freed: it saves a model load (about half a second) only to a job that follows soon. */
export const SPARE_IDLE_MS = 60_000;
const SPARE_DELAY_MS = 1_000;

export function createPocketsphinxEngine(options: { modelDir?: string; batchArgs?: Record<string, string> } = {}): StreamingEngine {
  const n = loadNative();
  const modelDir = options.modelDir ?? process.env.EARSHOT_POCKETSPHINX_MODEL_DIR ?? DEFAULT_MODEL_DIR;
  const batchArgs = options.batchArgs ?? BATCH_ARGS;
  checkModel(modelDir);
  // The next batch job's fresh decoder, loaded once the last job is done so the next need not wait for
  // the model (about a second). Loaded on first use: a streaming-only engine never needs one.
  let spare: DecoderHandle | null = null;
  let busy: Promise<unknown> = Promise.resolve();
  let closed = false;
  const streams = new Set<DecoderHandle>();

  // A freed decoder's ~100 MB stays in glibc's arenas (RSS) until trimmed: a server that ran a probe
  // or a few live sessions would otherwise keep that memory for good.
  const free = (h: DecoderHandle) => {
    n.ps_free(h.ps);
    n.cmd_ln_free_r(h.config);
    n.malloc_trim?.(0);
  };
  let spareTimer: NodeJS.Timeout | null = null;
  const stopSpareTimer = () => {
    if (spareTimer) clearTimeout(spareTimer);
    spareTimer = null;
  };

  function prepareSpare() {
    stopSpareTimer();
    // After a moment, so a one-off run (`earshot transcribe`) is closed first and never loads it.
    spareTimer = setTimeout(() => {
      spareTimer = null;
      if (closed || spare) return;
      spare = createDecoder(n, modelDir, batchArgs);
      // Jobs that follow soon use it; a thread left idle gives its memory back.
      spareTimer = setTimeout(dropSpare, SPARE_IDLE_MS);
      spareTimer.unref();
    }, SPARE_DELAY_MS);
    spareTimer.unref();
  }

  function dropSpare() {
    spareTimer = null;
    if (!spare) return;
    free(spare);
    spare = null;
  }

  async function transcribeNow(pcm: AsyncIterable<Buffer>, opts: TranscribeOptions): Promise<EngineResult> {
    const words: EngineWord[] = [];
    const decoder = spare ?? createDecoder(n, modelDir, batchArgs);
    spare = null;
    stopSpareTimer();
    const seg = new Segmenter(n, decoder, (w) => words.push(...w), true);
    try {
      for await (const chunk of pcm) {
        if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
        seg.feed(chunk);
        opts.onProgress?.(seg.audioMs);
      }
      seg.flush();
    } finally {
      // An aborted job's utterance is dropped, not decoded to its end: native work a shutdown or a delete would wait for.
      if (!opts.signal?.aborted) seg.finish();
      free(decoder);
      prepareSpare();
    }
    opts.onProgress?.(seg.audioMs);
    return { words, language_code: 'en_us', punctuated: false };
  }

  return {
    name: 'pocketsphinx',
    model: 'pocketsphinx-en-us',
    transcribe(pcm, opts = {}) {
      if (closed) return Promise.reject(new Error('pocketsphinx engine is closed'));
      const run = busy.then(() => transcribeNow(pcm, opts));
      busy = run.catch(() => undefined);
      return run;
    },
    createStream(): StreamingDecoder {
      const handle = createDecoder(n, modelDir, LIVE_ARGS);
      streams.add(handle);
      // The library's own utterances still end at every pause (its frame clock drifts across a pause
      // inside one utterance); their words collect here until the caller ends the turn.
      let committed: EngineWord[] = [];
      const seg = new Segmenter(n, handle, (words) => committed.push(...words));
      return {
        accept(pcm) {
          seg.feed(pcm);
          return { words: [...committed, ...seg.partial()], inSpeech: seg.inSpeech };
        },
        endUtterance() {
          seg.finish();
          const words = committed;
          committed = [];
          return words;
        },
        close() {
          if (!streams.delete(handle)) return;
          seg.finish();
          free(handle);
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await busy;
      stopSpareTimer();
      if (spare) free(spare);
      spare = null;
      for (const h of streams) free(h);
      streams.clear();
    },
  };
}
