import type { EngineWord } from '../engines/engine.js';
import { DEFAULT_FORMAT_OPTIONS, formatWords, maskProfanity } from '../text/format.js';
import type { TranscriptWord } from '../transcript/types.js';
import { languageConfidence } from '../transcript/language-detection.js';
import type { StreamAudioConverter } from './audio.js';
import type { RemoteDecoder } from './decoder-pool.js';
import { type SpeakerTracker, UNKNOWN_SPEAKER } from './speaker-tracker.js';
import { TurnEndPredictor } from './turn-end.js';
import type { Vad } from './vad.js';

/** v3's turn-detection parameters (v2's `end_utterance_silence_threshold` maps onto them). */
export interface TurnSettings {
  /** Silence after the last word that may end a turn when the end-of-turn confidence is high enough. */
  min_turn_silence: number;
  /** Silence after which a turn always ends. */
  max_turn_silence: number;
  end_of_turn_confidence_threshold: number;
  vad_threshold: number;
}

export const DEFAULT_TURN_SETTINGS: TurnSettings = {
  min_turn_silence: 400,
  max_turn_silence: 1280,
  end_of_turn_confidence_threshold: 0.4,
  vad_threshold: 0.4,
};

export interface LiveWord extends EngineWord {
  word_is_final: boolean;
}

export interface TurnUpdate {
  turnOrder: number;
  words: LiveWord[];
  endOfTurn: boolean;
  endOfTurnConfidence: number;
  /** Formatted words, on an ended turn when formatting was asked for. */
  formatted?: TranscriptWord[];
  /** With live speaker labels: the ended turn's speaker ("A", …, or "UNKNOWN"); an open turn's is not known yet. */
  speakerLabel?: string;
  /** With language detection: the ended turn's language (Whisper's code, "en") and its probability; none under a second. */
  language?: { code: string; confidence: number };
}

/** A word this far behind the newest audio, unchanged since the last hypothesis, will not change. */
const FINAL_AFTER_MS = 600;
/** An utterance that has heard nothing but silence this long is restarted, to bound decoder memory. */
const IDLE_UTTERANCE_MS = 30_000;

const sameWord = (a: EngineWord | undefined, b: EngineWord) => a !== undefined && a.text === b.text && a.start === b.start;

/**
 * One live session's recognition and turn detection, independent of the wire protocol: audio in,
 * turn updates out. Operations run strictly in order (audio frames, force-endpoint, finish).
 */
export class LiveSession {
  private queue: Promise<unknown> = Promise.resolve();
  private turnOrder = 0;
  private previous: EngineWord[] = [];
  private lastText = '';
  private silentSinceMs = 0;
  /** Audio received so far, in ms. */
  audioMs = 0;
  /** Audio the decoder has been given so far. */
  private decodedMs = 0;
  private decoder!: RemoteDecoder;
  private vad!: Vad;
  private readonly turnEnd = new TurnEndPredictor();
  private readonly ready: Promise<void>;

  /** The decoder and VAD may still be loading: audio waits in order until they are ready, so `Begin` need not. */
  constructor(
    decoder: Promise<RemoteDecoder>,
    vad: Promise<Vad>,
    private readonly converter: StreamAudioConverter,
    public settings: TurnSettings,
    private readonly options: { formatTurns: boolean; partials: boolean; filterProfanity?: boolean; speakers?: SpeakerTracker | null },
    private readonly emit: (update: TurnUpdate) => void,
  ) {
    // A decoder or VAD that fails to load fails every later operation with its error, not a TypeError.
    const ready = Promise.all([decoder, vad]).then(([d, v]) => {
      this.decoder = d;
      this.vad = v;
    });
    ready.catch(() => undefined);
    this.queue = ready;
    this.ready = ready;
  }

  private run<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(() => this.ready).then(op);
    this.queue = next.catch(() => undefined);
    return next;
  }

  audio(frame: Buffer): Promise<void> {
    this.audioMs += this.converter.durationMs(frame.length);
    // Where this frame ends: frames may queue up behind the decoder, so `audioMs` runs ahead.
    const now = this.audioMs;
    const pcm = this.converter.convert(frame);
    return this.run(async () => {
      this.vad.threshold = this.settings.vad_threshold;
      this.turnEnd.push(pcm);
      const [{ words, inSpeech, endpoint }] = await Promise.all([this.decoder.accept(pcm), this.vad.push(pcm)]);
      const lastSpeech = this.vad.lastSpeechMs;
      this.decodedMs = now;
      if (words.length === 0) {
        if (!inSpeech && now - this.silentSinceMs > IDLE_UTTERANCE_MS) {
          await this.decoder.endUtterance();
          this.silentSinceMs = now;
        }
        return;
      }
      // Quiet since the last sound the VAD heard, and since the recogniser's last word: its start when
      // the VAD is good enough to time the rest (the live hypothesis stretches a last word's end into
      // the silence after it), else its end.
      const last = words[words.length - 1]!;
      const silence = now - Math.max(lastSpeech, this.vad.trusted ? last.start : last.end);
      // A neural model's own endpoint (its trailing-silence rules, judged on what it hears) is end-of-turn evidence
      // at full confidence; the VAD's silence must still reach `min_turn_silence`, so speech it hears keeps the turn open.
      const confidence = endpoint ? 1 : this.endOfTurnConfidence(words, silence, now - silence);
      const { min_turn_silence, max_turn_silence, end_of_turn_confidence_threshold } = this.settings;
      const stable = words.length === this.previous.length && words.every((w, i) => sameWord(this.previous[i], w));
      const pause = silence >= min_turn_silence && confidence >= end_of_turn_confidence_threshold;
      if (pause || (stable && silence >= max_turn_silence)) {
        await this.endTurn(confidence);
        return;
      }
      const text = words.map((w) => w.text).join(' ');
      const live = this.masked(
        words.map((w, i) => ({ ...w, word_is_final: sameWord(this.previous[i], w) && w.end <= now - FINAL_AFTER_MS })),
      );
      this.previous = words;
      if (this.options.partials && text !== this.lastText) {
        this.lastText = text;
        this.emit({
          turnOrder: this.turnOrder,
          words: live,
          endOfTurn: false,
          endOfTurnConfidence: confidence,
          ...(this.options.speakers ? { speakerLabel: UNKNOWN_SPEAKER } : {}),
        });
      }
    });
  }

  /**
   * How sure the predictor is that the speaker has finished (`TurnEndPredictor`), scaled by how much of
   * `min_turn_silence` the pause has lasted: near 0 while they speak, the predictor's figure once the
   * pause is long enough to end on. Silence beyond that adds nothing; `max_turn_silence` ends the turn regardless.
   */
  private endOfTurnConfidence(words: EngineWord[], silenceMs: number, speechEndMs: number): number {
    const complete = this.turnEnd.completeness(words, speechEndMs);
    return complete * Math.min(1, silenceMs / Math.max(1, this.settings.min_turn_silence));
  }

  /** Ends the current turn now (ForceEndpoint / force_end_utterance). */
  forceEndpoint(): Promise<void> {
    return this.run(() => this.endTurn(1));
  }

  /** Ends the last turn, if it has words, then frees the decoder. */
  finish(): Promise<void> {
    return this.run(async () => {
      await this.endTurn(1);
      await this.decoder.close();
    });
  }

  /** Frees the decoder without a final turn (connection lost). */
  abandon(): Promise<void> {
    return this.run(() => this.decoder.close());
  }

  /** Words as the client sees them: profanity masked with `filter_profanity`. */
  private masked(words: LiveWord[]): LiveWord[] {
    return this.options.filterProfanity ? maskProfanity(words) : words;
  }

  private async endTurn(confidence: number): Promise<void> {
    const { words, embedding, language } = await this.decoder.endUtterance();
    this.previous = [];
    this.lastText = '';
    this.silentSinceMs = this.decodedMs;
    if (words.length === 0) return;
    const update: TurnUpdate = {
      turnOrder: this.turnOrder++,
      words: this.masked(words.map((w) => ({ ...w, word_is_final: true }))),
      endOfTurn: true,
      endOfTurnConfidence: Math.round(confidence * 1000) / 1000,
    };
    if (this.options.formatTurns) {
      update.formatted = formatWords(words, { ...DEFAULT_FORMAT_OPTIONS, filter_profanity: this.options.filterProfanity === true });
    }
    if (this.options.speakers) update.speakerLabel = this.options.speakers.assign(embedding);
    if (language) update.language = { code: language.code, confidence: languageConfidence(language.probability) };
    this.emit(update);
  }
}
