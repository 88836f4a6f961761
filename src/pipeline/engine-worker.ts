import { parentPort } from 'node:worker_threads';
import { AudioError, decodeAudio } from '../audio/decode.js';
import { Diarizer, pcmToFloat } from '../engines/diarization.js';
import type { DiarizationModels } from '../engines/diarization-models.js';
import type { Engine } from '../engines/engine.js';
import { createEngine } from '../engines/index.js';
import { keptModel } from '../engines/kept-model.js';
import { type LanguageIdModel, type LanguageScore, WhisperLanguageId } from '../engines/language-id.js';
import { averageConfidence, formatWords, transcriptText } from '../text/format.js';
import { assignSpeakers } from '../text/speakers.js';
import { EnergyVad, SpeechMeter } from '../streaming/vad.js';
import type { SileroModel } from '../streaming/silero-vad.js';
import type { EngineTask, EngineTaskResult, FromWorker, LanguageIdTask, ToWorker } from './engine-task.js';

/**
 * Worker-thread entry: owns one engine instance (native memory, model loaded once) and runs one
 * task at a time, so engine work never blocks the HTTP thread.
 */
const port = parentPort!;
let engine: Promise<Engine> | null = null;
let load: () => Promise<Engine> = () => Promise.reject(new Error('engine worker not initialised'));
let engineThreads = 1;

/** The loaded engine; one that failed to load (model files missing) is tried again on the next task. */
function loaded(): Promise<Engine> {
  if (engine) return engine;
  const attempt = load();
  engine = attempt;
  attempt.catch(() => {
    if (engine === attempt) engine = null;
  });
  return attempt;
}
const running = new Map<number, AbortController>();
const post = (msg: FromWorker) => port.postMessage(msg);
/** How sure the VAD must be that a frame is speech, for `speech_threshold` (upstream's streaming `vad_threshold` default is 0.4). */
const SPEECH_VAD_THRESHOLD = 0.5;

let silero: Promise<SileroModel> | null = null;

async function speechMeter(vadModel: string | null): Promise<SpeechMeter> {
  if (!vadModel) return new SpeechMeter(new EnergyVad(SPEECH_VAD_THRESHOLD));
  silero ??= import('../streaming/silero-vad.js').then((m) => m.SileroModel.load(vadModel));
  return new SpeechMeter((await silero).open(SPEECH_VAD_THRESHOLD));
}

async function* metered(pcm: AsyncIterable<Buffer>, meter: SpeechMeter): AsyncIterable<Buffer> {
  for await (const chunk of pcm) {
    await meter.push(chunk);
    yield chunk;
  }
}

/** The audio as it passes to the engine, kept for diarization, which needs all of it at once. */
async function* kept(pcm: AsyncIterable<Buffer>, chunks: Buffer[]): AsyncIterable<Buffer> {
  for await (const chunk of pcm) {
    chunks.push(chunk);
    yield chunk;
  }
}

const diarizerFor = keptModel(
  (models: DiarizationModels) => Diarizer.load(models, engineThreads),
  (m) => `${m.segmentation}\n${m.embedding}`,
);
const languageIdFor = keptModel(
  (model: LanguageIdModel) => WhisperLanguageId.load(model, engineThreads),
  (m) => `${m.encoder}\n${m.decoder}`,
);

/** Whisper decides from the first 30 s: only those are decoded. */
const LANGUAGE_WINDOW_MS = 30_000;

async function identify(taskId: number, task: LanguageIdTask): Promise<LanguageScore[]> {
  const controller = new AbortController();
  running.set(taskId, controller);
  try {
    const end = Math.min(task.endMs ?? Number.MAX_SAFE_INTEGER, (task.startMs ?? 0) + LANGUAGE_WINDOW_MS);
    const audio = decodeAudio(task.audioPath, { startMs: task.startMs, endMs: end, signal: controller.signal });
    const chunks: Buffer[] = [];
    for await (const chunk of audio.pcm) chunks.push(chunk);
    await audio.done;
    return await (await languageIdFor(task.model)).identify(pcmToFloat(chunks));
  } finally {
    running.delete(taskId);
  }
}

async function run(taskId: number, task: EngineTask): Promise<EngineTaskResult> {
  const controller = new AbortController();
  running.set(taskId, controller);
  try {
    const e = await loaded();
    const audio = decodeAudio(task.audioPath, {
      startMs: task.startMs,
      endMs: task.endMs,
      channel: task.channel,
      signal: controller.signal,
    });
    const meter = task.speechThreshold ? await speechMeter(task.speechThreshold.vadModel) : null;
    const diarization = task.diarization ?? null;
    const pcmKept: Buffer[] = [];
    let pcm: AsyncIterable<Buffer> = meter ? metered(audio.pcm, meter) : audio.pcm;
    if (diarization) pcm = kept(pcm, pcmKept);
    let lastPost = 0;
    const [result, { durationMs }] = await Promise.all([
      e.transcribe(pcm, {
        languageCode: task.languageCode,
        signal: controller.signal,
        onProgress: (audioMs) => {
          if (audioMs - lastPost < 1000) return;
          lastPost = audioMs;
          post({ type: 'progress', taskId, audioMs });
        },
      }),
      audio.done,
    ]);
    // Upstream's word times count from the start of the file, not from `audio_start_from`.
    const offset = task.startMs ?? 0;
    const engineWords = offset ? result.words.map((w) => ({ ...w, start: w.start + offset, end: w.end + offset })) : result.words;
    let words = formatWords(engineWords, { ...task.format, enginePunctuated: result.punctuated ?? false });
    if (diarization) {
      const turns = await (await diarizerFor(diarization.models)).diarize(
        pcmToFloat(pcmKept),
        diarization.count,
        durationMs,
        controller.signal,
      );
      words = assignSpeakers(words, offset ? turns.map((t) => ({ ...t, start: t.start + offset, end: t.end + offset })) : turns);
    }
    return {
      words,
      text: transcriptText(words),
      confidence: averageConfidence(words),
      durationMs,
      speechFraction: meter ? meter.fraction : null,
    };
  } finally {
    running.delete(taskId);
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'init') {
    const { engine: choice, threads } = msg;
    engineThreads = threads;
    load = () => createEngine(choice, threads);
    // Loaded now so the first task need not wait; a failure surfaces on the first task.
    void loaded();
  } else if (msg.type === 'abort') {
    running.get(msg.taskId)?.abort();
  } else if (msg.type === 'close') {
    // With the port closed the thread ends when its loop is empty: after sherpa-onnx's queued progress
    // callbacks, which a terminate() would cut off mid-call (a native "Napi::Error" abort of the process).
    port.close();
  } else {
    (msg.type === 'run' ? run(msg.taskId, msg.task) : identify(msg.taskId, msg.task)).then(
      (result) => post({ type: 'done', taskId: msg.taskId, result }),
      (err: NodeJS.ErrnoException) =>
        post({
          type: 'failed',
          taskId: msg.taskId,
          message: err.message,
          audio: err instanceof AudioError,
          stack: err.stack,
          code: err.code,
        }),
    );
  }
});
