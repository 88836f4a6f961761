import { parentPort } from 'node:worker_threads';
import { AudioError, decodeAudio } from '../audio/decode.js';
import type { Engine } from '../engines/engine.js';
import { createEngine } from '../engines/index.js';
import { averageConfidence, formatWords, transcriptText } from '../text/format.js';
import type { EngineTask, EngineTaskResult, FromWorker, ToWorker } from './engine-task.js';

/**
 * Worker-thread entry: owns one engine instance (native memory, model loaded once) and runs one
 * task at a time, so engine work never blocks the HTTP thread.
 */
const port = parentPort!;
let engine: Promise<Engine> | null = null;
const running = new Map<number, AbortController>();
const post = (msg: FromWorker) => port.postMessage(msg);

async function run(taskId: number, task: EngineTask): Promise<EngineTaskResult> {
  const controller = new AbortController();
  running.set(taskId, controller);
  try {
    const e = await engine!;
    const audio = decodeAudio(task.audioPath, { startMs: task.startMs, endMs: task.endMs, signal: controller.signal });
    let lastPost = 0;
    const [result, { durationMs }] = await Promise.all([
      e.transcribe(audio.pcm, {
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
    const words = formatWords(engineWords, { ...task.format, enginePunctuated: result.punctuated ?? false });
    return { words, text: transcriptText(words), confidence: averageConfidence(words), durationMs };
  } finally {
    running.delete(taskId);
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'init') {
    engine = createEngine(msg.engine, msg.threads);
    // Surface load failures on the first task rather than as an unhandled rejection.
    engine.catch(() => undefined);
  } else if (msg.type === 'abort') {
    running.get(msg.taskId)?.abort();
  } else {
    run(msg.taskId, msg.task).then(
      (result) => post({ type: 'done', taskId: msg.taskId, result }),
      (err: Error) => post({ type: 'failed', taskId: msg.taskId, message: err.message, audio: err instanceof AudioError, stack: err.stack }),
    );
  }
});
