import { upstreamTimestamp } from '../transcript/view.js';
import { ENCODINGS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, type StreamEncoding } from './audio.js';
import { parseBool, parseNumber, SessionClose, type ClientAction, type CloseReason, type StreamingProtocol } from './protocol.js';
import { DEFAULT_TURN_SETTINGS, type TurnSettings, type TurnUpdate } from './session.js';

/** v2 realtime close codes and texts, as the Node SDK knows them. */
const CLOSES: Record<CloseReason, [number, string]> = {
  unauthorized: [4001, 'Not Authorized'],
  badSampleRate: [4000, 'Invalid sample rate'],
  badParams: [4101, 'Bad schema'],
  badJson: [4100, 'Bad JSON'],
  badMessage: [4101, 'Bad schema'],
  chunkTooShort: [4032, 'Audio too short'],
  chunkTooLong: [4033, 'Audio too long'],
  tooFast: [4029, 'Client sent audio too fast'],
  tooLong: [4008, 'Session has expired'],
  tooMany: [4102, 'Too many streams'],
  idle: [4031, 'Session idle for too long'],
  serverError: [1011, 'Server error'],
};

const DEFAULT_SILENCE_MS = 700;
const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** v2 has one knob: the silence that ends an utterance. */
function silenceSettings(ms: number): TurnSettings {
  return { ...DEFAULT_TURN_SETTINGS, min_turn_silence: ms, max_turn_silence: ms, end_of_turn_confidence_threshold: 0 };
}

export const v2: StreamingProtocol = {
  name: 'v2',
  idleEndsNormally: false,

  close(reason, detail) {
    const [code, text] = CLOSES[reason];
    return new SessionClose(code, detail ? `${text}: ${detail}` : text);
  },

  parseParams(q) {
    const bad = (d: string) => this.close('badParams', d);
    const sampleRate = parseNumber('sample_rate', q.sample_rate, 16_000, [MIN_SAMPLE_RATE, MAX_SAMPLE_RATE], (d) =>
      this.close('badSampleRate', d),
    );
    const encoding = (q.encoding ?? 'pcm_s16le') as StreamEncoding;
    if (!ENCODINGS.includes(encoding)) throw bad(`encoding must be one of ${ENCODINGS.join(', ')}`);
    if (q.word_boost !== undefined) {
      let boost: unknown;
      try {
        boost = JSON.parse(q.word_boost);
      } catch {
        /* reported below */
      }
      if (!Array.isArray(boost) || !boost.every((w) => typeof w === 'string'))
        throw new SessionClose(4104, 'Could not parse word boost parameter');
      // Nothing here boosts words: a list is refused rather than accepted and ignored; [] is a no-op.
      if (boost.length > 0) throw bad('word_boost is not available in live sessions on this Earshot server');
    }
    return {
      sampleRate,
      encoding,
      turn: silenceSettings(DEFAULT_SILENCE_MS),
      // Upstream's v2 finals are always punctuated and formatted.
      formatTurns: true,
      partials: !parseBool('disable_partial_transcripts', q.disable_partial_transcripts, false, bad),
      inactivityMs: null,
      webhookUrl: null,
      webhookAuth: null,
      sessionInformation: parseBool('enable_extra_session_information', q.enable_extra_session_information, false, bad),
      filterProfanity: false,
      speakers: null,
      languageDetection: false,
    };
  },

  parseMessage(text): ClientAction {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw this.close('badJson');
    }
    if (!m || typeof m !== 'object') throw this.close('badMessage');
    if (m.terminate_session === true) return { kind: 'terminate' };
    if (m.force_end_utterance === true) return { kind: 'forceEndpoint' };
    if (m.end_utterance_silence_threshold !== undefined) {
      const ms = parseNumber(
        'end_utterance_silence_threshold',
        String(m.end_utterance_silence_threshold),
        DEFAULT_SILENCE_MS,
        [0, 20_000],
        (d) => this.close('badMessage', d),
      );
      return { kind: 'configure', turn: silenceSettings(ms) };
    }
    if (typeof m.audio_data === 'string') return { kind: 'audio', data: Buffer.from(m.audio_data, 'base64') };
    throw this.close('badMessage');
  },

  errorMessage(close) {
    return { error: close.message };
  },

  begin(sessionId, expiresAt) {
    return { message_type: 'SessionBegins', session_id: sessionId, expires_at: upstreamTimestamp(expiresAt) };
  },

  turn(u: TurnUpdate) {
    const source = u.formatted ?? u.words;
    const words = source.map((w) => ({
      start: Math.round(w.start),
      end: Math.round(w.end),
      confidence: round3(w.confidence),
      text: w.text,
    }));
    const confidence = words.length ? round3(words.reduce((a, w) => a + w.confidence, 0) / words.length) : 0;
    const common = {
      audio_start: words[0]?.start ?? 0,
      audio_end: words[words.length - 1]?.end ?? 0,
      confidence,
      text: words.map((w) => w.text).join(' '),
      words,
      created: upstreamTimestamp(new Date()),
    };
    if (!u.endOfTurn) return [{ message_type: 'PartialTranscript', ...common }];
    return [{ message_type: 'FinalTranscript', ...common, punctuated: Boolean(u.formatted), text_formatted: Boolean(u.formatted) }];
  },

  termination(audioMs, _sessionMs, params) {
    const info = { message_type: 'SessionInformation', audio_duration_seconds: round3(audioMs / 1000) };
    return params.sessionInformation ? [info, { message_type: 'SessionTerminated' }] : [{ message_type: 'SessionTerminated' }];
  },
};
