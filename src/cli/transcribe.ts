import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { probeAudio } from '../audio/decode.js';
import { findDiarizationModels } from '../engines/diarization-models.js';
import { chooseEngine } from '../engines/index.js';
import { createLogger } from '../log.js';
import { findLanguageIdModel } from '../engines/language-id-models.js';
import { EnginePool } from '../pipeline/engine-pool.js';
import { chooseLanguage, detectedLanguageUnsupported, type DetectedLanguage } from '../transcript/language-detection.js';
import { toUtterances } from '../text/segments.js';
import { toSrt, toVtt } from '../text/subtitles.js';
import { addConfigOptions, configFrom, examples } from './options.js';

const FORMATS = ['text', 'json', 'srt', 'vtt'] as const;

/** `earshot transcribe FILE`: a one-off transcript on the terminal, no server or database needed. */
export function registerTranscribe(program: Command): void {
  const cmd = program
    .command('transcribe')
    .description('Transcribe a local audio or video file and print the transcript')
    .argument('<file>', 'audio or video file (anything ffmpeg reads)')
    .option('--format <format>', `output: ${FORMATS.join(', ')}`, 'text')
    .option('--language-code <code>', 'language of the audio', 'en_us')
    .option(
      '--language-detection',
      'detect the spoken language from the first 30 s (needs a language ID model: earshot models pull whisper-tiny)',
    )
    .option('--no-punctuate', 'no punctuation')
    .option('--no-format-text', 'no casing or text formatting')
    .option('--disfluencies', 'keep "um", "uh" and the like')
    .option('--filter-profanity', 'mask profanity')
    .option('--speaker-labels', 'label the speakers (needs the diarization models: earshot models pull)')
    .option('--speakers-expected <n>', 'with --speaker-labels: how many speakers there are')
    .option('--quiet', 'no progress bar');
  addConfigOptions(cmd, [
    'engine',
    'whisperModel',
    'dataDir',
    'logLevel',
    'diarizationSegmentationModel',
    'diarizationEmbeddingModel',
    'languageIdModel',
  ]);
  examples(
    cmd,
    'earshot transcribe meeting.mp3',
    'earshot transcribe talk.mp4 --format srt > talk.srt',
    'earshot transcribe interview.wav --format json --whisper-model small.en',
    'earshot transcribe call.wav --speaker-labels --speakers-expected 2',
    'earshot transcribe interview.mp3 --language-detection --format json',
  );
  cmd.action(async (file: string, opts: Record<string, unknown>) => {
    if (!FORMATS.includes(opts.format as (typeof FORMATS)[number])) {
      throw new Error(`--format must be one of ${FORMATS.join(', ')}`);
    }
    const config = configFrom({ logLevel: 'warn', ...opts });
    const speakersExpected = opts.speakersExpected === undefined ? null : Number(opts.speakersExpected);
    if (speakersExpected !== null && !(Number.isInteger(speakersExpected) && speakersExpected >= 1))
      throw new Error('--speakers-expected must be a whole number of at least 1');
    const models = opts.speakerLabels ? await findDiarizationModels(config) : null;
    if (models && 'missing' in models) throw new Error(models.missing.replace('speaker_labels', '--speaker-labels'));
    // As upstream refuses language_code together with language_detection.
    if (opts.languageDetection && cmd.getOptionValueSource('languageCode') === 'cli')
      throw new Error('--language-code and --language-detection cannot be used together');
    const lid = opts.languageDetection ? await findLanguageIdModel(config) : null;
    if (lid && 'missing' in lid) throw new Error(lid.missing.replace('language_detection', '--language-detection'));
    const log = createLogger(config.logLevel, undefined, config.logFormat);
    const path = resolve(file);
    const probe = await probeAudio(path);
    const engine = await chooseEngine(config, log);
    const pool = new EnginePool(engine, 1, log);
    const totalMs = probe.durationMs ?? 0;
    const showBar = !opts.quiet && process.stderr.isTTY && totalMs > 0;
    const bar = new cliProgress.SingleBar(
      { format: `${engine.model} {bar} {percentage}% | {value}/{total} s | ETA {eta}s`, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    try {
      let detected: DetectedLanguage | null = null;
      if (lid) {
        detected = chooseLanguage(await pool.identifyLanguage({ audioPath: path, startMs: null, endMs: null, model: lid }), null);
        if (engine.languages !== 'all' && !engine.languages.includes(detected.code))
          throw new Error(detectedLanguageUnsupported(detected, engine.model, engine.languages));
        process.stderr.write(`Language: ${detected.code} (detected, confidence ${detected.confidence.toFixed(4)})\n`);
      }
      const languageCode = detected?.code ?? (opts.languageCode as string);
      if (showBar) bar.start(Math.ceil(totalMs / 1000), 0);
      const result = await pool.run(
        {
          audioPath: path,
          startMs: null,
          endMs: null,
          languageCode,
          format: {
            punctuate: opts.punctuate as boolean,
            format_text: opts.formatText as boolean,
            disfluencies: Boolean(opts.disfluencies),
            filter_profanity: Boolean(opts.filterProfanity),
            custom_spelling: null,
          },
          diarization: models && { models, count: { exactly: speakersExpected, min: 1, max: null } },
        },
        { onProgress: (ms) => showBar && bar.update(Math.floor(ms / 1000)) },
      );
      if (showBar) {
        bar.update(Math.ceil(totalMs / 1000));
        bar.stop();
      }
      const utterances = models ? toUtterances(result.words) : null;
      const out =
        opts.format === 'json'
          ? JSON.stringify(
              {
                text: result.text,
                words: result.words,
                utterances,
                confidence: result.confidence,
                audio_duration: result.durationMs / 1000,
                language_code: languageCode,
                ...(detected && { language_confidence: detected.confidence }),
                speech_model_used: engine.model,
              },
              null,
              2,
            )
          : opts.format === 'srt'
            ? toSrt(result.words)
            : opts.format === 'vtt'
              ? toVtt(result.words)
              : utterances
                ? utterances.map((u) => `Speaker ${u.speaker}: ${u.text}`).join('\n')
                : result.text;
      process.stdout.write(`${out}\n`);
    } finally {
      if (showBar) bar.stop();
      await pool.close();
    }
  });
}
