/**
 * The one interface every speech engine implements. Audio always arrives as
 * 16 kHz mono signed 16-bit little-endian PCM (ffmpeg does the conversion), in
 * chunks, so an engine never needs the whole file in memory unless it wants it.
 */

/** A recognised word. Times are milliseconds from the start of the audio given to the engine. */
export interface EngineWord {
  text: string;
  start: number;
  end: number;
  /** 0..1 */
  confidence: number;
}

export interface EngineResult {
  words: EngineWord[];
  /** Language the engine transcribed in, e.g. "en_us". */
  language_code?: string;
  /** True when the engine produced its own punctuation and casing (whisper does, pocketsphinx does not). */
  punctuated?: boolean;
}

export interface TranscribeOptions {
  /** AssemblyAI language code, e.g. "en_us", "en", "fr". Null means the engine's default. */
  languageCode?: string | null;
  /** Called now and then with the number of audio milliseconds consumed so far. */
  onProgress?: (audioMs: number) => void;
  signal?: AbortSignal;
}

export const SAMPLE_RATE = 16_000;

export interface Engine {
  /** Engine id as used in config: "pocketsphinx", "whisper". */
  readonly name: string;
  /** What goes into the transcript's `speech_model_used`, e.g. "pocketsphinx-en-us", "whisper-tiny.en". */
  readonly model: string;
  transcribe(pcm: AsyncIterable<Buffer>, options?: TranscribeOptions): Promise<EngineResult>;
  /** Frees native resources. */
  close(): Promise<void>;
}

/** What a streaming decoder knows after the latest audio: the open utterance's words so far. */
export interface StreamingHypothesis {
  words: EngineWord[];
  /** The engine's own voice-activity state; engines without one report true while words keep changing. */
  inSpeech: boolean;
  /** The model's own endpointing says the utterance has ended (its trailing-silence rules are met). */
  endpoint?: boolean;
}

/**
 * Incremental decoding for live streaming. Times count from the first audio of the stream. The caller
 * (the session's endpointing) decides when an utterance ends; the decoder never ends one by itself.
 */
export interface StreamingDecoder {
  /** Feeds PCM (16 kHz s16le mono) and returns the current hypothesis. */
  accept(pcm: Buffer): StreamingHypothesis;
  /** Ends the current utterance and returns its final words; the decoder is ready for the next one. */
  endUtterance(): EngineWord[];
  close(): void;
}

export interface StreamingEngine extends Engine {
  createStream(options?: { languageCode?: string | null }): StreamingDecoder;
}

export class EngineUnavailableError extends Error {
  constructor(engine: string, reason: string) {
    super(`${engine} engine is not available: ${reason}`);
    this.name = 'EngineUnavailableError';
  }
}
