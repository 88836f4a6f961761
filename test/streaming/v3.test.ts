import { describe, expect, it } from 'vitest';
import { SessionClose } from '../../src/streaming/protocol.js';
import { DEFAULT_TURN_SETTINGS } from '../../src/streaming/session.js';
import { v3 } from '../../src/streaming/v3.js';

const parse = (q: Record<string, string>) => v3.parseParams({ sample_rate: '16000', ...q });

describe('v3 query parameters', () => {
  it('applies min_turn_silence and max_turn_silence, and takes the old name of the first from older SDKs', () => {
    expect(parse({}).turn).toEqual(DEFAULT_TURN_SETTINGS);
    expect(parse({ min_turn_silence: '160', max_turn_silence: '900' }).turn).toMatchObject({
      min_turn_silence: 160,
      max_turn_silence: 900,
    });
    expect(parse({ min_end_of_turn_silence_when_confident: '300' }).turn.min_turn_silence).toBe(300);
    // The current name wins over the deprecated one.
    expect(parse({ min_turn_silence: '200', min_end_of_turn_silence_when_confident: '300' }).turn.min_turn_silence).toBe(200);
    expect(() => parse({ max_turn_silence: 'soon' })).toThrow(SessionClose);
  });

  it('reads filter_profanity', () => {
    expect(parse({}).filterProfanity).toBe(false);
    expect(parse({ filter_profanity: 'true' }).filterProfanity).toBe(true);
    expect(() => parse({ filter_profanity: 'maybe' })).toThrow(SessionClose);
  });

  it('reads speaker_labels with max_speakers (1 to 10), and nothing without speaker_labels', () => {
    expect(parse({}).speakers).toBeNull();
    expect(parse({ speaker_labels: 'true' }).speakers).toEqual({ maxSpeakers: null });
    expect(parse({ speaker_labels: 'true', max_speakers: '3' }).speakers).toEqual({ maxSpeakers: 3 });
    expect(parse({ speaker_labels: 'false', max_speakers: '3' }).speakers).toBeNull();
    for (const bad of ['0', '11', '2.5', 'two'])
      expect(() => parse({ speaker_labels: 'true', max_speakers: bad }), bad).toThrow(SessionClose);
  });
});
