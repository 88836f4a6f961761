import { isHttpUrl, webhookHeaderProblem } from '../http/input.js';
import { ENCODINGS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, type StreamEncoding } from './audio.js';
import { parseBool, parseNumber, SessionClose, type ClientAction, type CloseReason, type StreamingProtocol } from './protocol.js';
import { DEFAULT_TURN_SETTINGS, type TurnSettings, type TurnUpdate } from './session.js';

/** v3 close codes (upstream's common-errors page; 1008 for auth). */
const CODES: Record<CloseReason, number> = {
  unauthorized: 1008,
  // The SDK knows 4000 on v3 too ("Sample rate must be a positive integer"), and does not retry it.
  badSampleRate: 4000,
  badParams: 3006,
  badJson: 3006,
  badMessage: 3006,
  chunkTooShort: 3007,
  chunkTooLong: 3007,
  tooFast: 3007,
  tooLong: 3008,
  tooMany: 3009,
  idle: 1000,
  serverError: 3005,
};

const MESSAGES: Record<CloseReason, string> = {
  unauthorized: 'Unauthorized Connection',
  badSampleRate: 'Invalid sample rate',
  badParams: 'Invalid query parameters',
  badJson: 'Invalid JSON',
  badMessage: 'Invalid message',
  chunkTooShort: 'Input Duration Violation: audio chunks must be between 50 and 1000 ms',
  chunkTooLong: 'Input Duration Violation: audio chunks must be between 50 and 1000 ms',
  tooFast: 'Audio sent faster than real time',
  tooLong: 'Session expired: maximum session duration exceeded',
  tooMany: 'Too many concurrent sessions',
  idle: 'Session inactive',
  serverError: 'Server error',
};

const round3 = (n: number) => Math.round(n * 1000) / 1000;

function turnSettingsFrom(raw: Record<string, unknown>, base: TurnSettings, bad: (d: string) => SessionClose): Partial<TurnSettings> {
  const out: Partial<TurnSettings> = {};
  const num = (key: keyof TurnSettings, range: [number, number], integer: boolean) => {
    const v = raw[key];
    if (v === undefined || v === null) return;
    out[key] = parseNumber(key, String(v), base[key], range, bad, integer);
  };
  num('end_of_turn_confidence_threshold', [0, 1], false);
  num('min_turn_silence', [0, 60_000], true);
  num('max_turn_silence', [0, 60_000], true);
  num('vad_threshold', [0, 1], false);
  return out;
}

/**
 * v3 query options the SDKs send that Earshot's live sessions do not apply, and the test for a value that asks for
 * something: refused by name when set, rather than accepted and ignored. Their no-op values (false, [], "") pass.
 */
const UNAPPLIED: [name: string, asks: (v: string) => boolean][] = [
  ['keyterms_prompt', (v) => v !== '' && v !== '[]'],
  ['prompt', (v) => v !== ''],
  ['agent_context', (v) => v !== ''],
  ['redact_pii', (v) => v === 'true'],
  ['llm_gateway', (v) => v !== '' && v !== 'null'],
];

export const v3: StreamingProtocol = {
  name: 'v3',
  idleEndsNormally: true,

  close(reason, detail) {
    const base = MESSAGES[reason];
    return new SessionClose(CODES[reason], detail ? `${base}: ${detail}` : base);
  },

  parseParams(q) {
    const bad = (d: string) => this.close('badParams', d);
    const sampleRate = parseNumber('sample_rate', q.sample_rate, 16_000, [MIN_SAMPLE_RATE, MAX_SAMPLE_RATE], (d) =>
      this.close('badSampleRate', d),
    );
    const encoding = (q.encoding ?? 'pcm_s16le') as StreamEncoding;
    if (!ENCODINGS.includes(encoding)) throw bad(`encoding must be one of ${ENCODINGS.join(', ')}`);
    const unapplied = UNAPPLIED.filter(([name, asks]) => q[name] !== undefined && asks(q[name]!)).map(([name]) => name);
    if (unapplied.length) throw bad(`not available in live sessions on this Earshot server: ${unapplied.join(', ')}`);
    // The deprecated name still arrives from older SDKs.
    const raw = { ...q, min_turn_silence: q.min_turn_silence ?? q.min_end_of_turn_silence_when_confident };
    const turn = { ...DEFAULT_TURN_SETTINGS, ...turnSettingsFrom(raw, DEFAULT_TURN_SETTINGS, bad) };
    const inactivity =
      q.inactivity_timeout === undefined ? null : parseNumber('inactivity_timeout', q.inactivity_timeout, 0, [5, 3600], bad);
    const webhookUrl = q.webhook_url ?? null;
    if (webhookUrl !== null && !isHttpUrl(webhookUrl)) throw bad('webhook_url must be a valid http or https URL');
    const authName = q.webhook_auth_header_name;
    const authValue = q.webhook_auth_header_value;
    if ((authName === undefined) !== (authValue === undefined))
      throw bad('webhook_auth_header_name and webhook_auth_header_value must be set together');
    const headerProblem = authName !== undefined && webhookHeaderProblem(authName, authValue!);
    if (headerProblem) throw bad(headerProblem);
    return {
      sampleRate,
      encoding,
      turn,
      formatTurns: parseBool('format_turns', q.format_turns, false, bad),
      partials: true,
      inactivityMs: inactivity === null ? null : inactivity * 1000,
      webhookUrl,
      webhookAuth: authName !== undefined ? { name: authName, value: authValue! } : null,
      sessionInformation: false,
      filterProfanity: parseBool('filter_profanity', q.filter_profanity, false, bad),
      speakers: parseBool('speaker_labels', q.speaker_labels, false, bad)
        ? { maxSpeakers: q.max_speakers === undefined ? null : parseNumber('max_speakers', q.max_speakers, 0, [1, 10], bad, true) }
        : null,
      languageDetection: parseBool('language_detection', q.language_detection, false, bad),
    };
  },

  parseMessage(text): ClientAction {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      throw this.close('badJson');
    }
    const m = msg as Record<string, unknown> | null;
    switch (m && typeof m === 'object' ? m.type : undefined) {
      case 'Terminate':
        return { kind: 'terminate' };
      case 'ForceEndpoint':
        return { kind: 'forceEndpoint' };
      case 'KeepAlive':
        return { kind: 'keepAlive' };
      case 'UpdateConfiguration':
        return { kind: 'configure', turn: turnSettingsFrom(m!, DEFAULT_TURN_SETTINGS, (d) => this.close('badMessage', d)) };
      default:
        throw this.close('badMessage', 'unknown message type');
    }
  },

  errorMessage(close) {
    return { type: 'Error', error: close.message, error_code: close.code };
  },

  begin(sessionId, expiresAt) {
    return { type: 'Begin', id: sessionId, expires_at: Math.floor(expiresAt.getTime() / 1000) };
  },

  turn(u: TurnUpdate) {
    // With speaker_labels, the turn's label on the turn and on each of its words, as upstream's Turn carries them.
    const speaker = u.speakerLabel !== undefined ? { speaker: u.speakerLabel } : {};
    const words = u.words.map((w) => ({
      start: Math.round(w.start),
      end: Math.round(w.end),
      text: w.text,
      confidence: round3(w.confidence),
      word_is_final: w.word_is_final,
      ...speaker,
    }));
    const finalText = u.words
      .filter((w) => w.word_is_final)
      .map((w) => w.text)
      .join(' ');
    const base = {
      type: 'Turn',
      turn_order: u.turnOrder,
      turn_is_formatted: false,
      end_of_turn: u.endOfTurn,
      transcript: finalText,
      end_of_turn_confidence: round3(u.endOfTurnConfidence),
      words,
      utterance: u.endOfTurn ? finalText : '',
      ...(u.speakerLabel !== undefined ? { speaker_label: u.speakerLabel } : {}),
      ...(u.language ? { language_code: u.language.code, language_confidence: u.language.confidence } : {}),
    };
    if (!u.formatted) return [base];
    const formattedText = u.formatted.map((w) => w.text).join(' ');
    // Formatting may drop words (disfluencies), so formatted words carry their own times.
    const formattedWords = u.formatted.map((w) => ({
      start: w.start,
      end: w.end,
      text: w.text,
      confidence: round3(w.confidence),
      word_is_final: true,
      ...speaker,
    }));
    return [base, { ...base, turn_is_formatted: true, transcript: formattedText, utterance: formattedText, words: formattedWords }];
  },

  termination(audioMs, sessionMs) {
    return [
      { type: 'Termination', audio_duration_seconds: Math.round(audioMs / 1000), session_duration_seconds: Math.round(sessionMs / 1000) },
    ];
  },
};
