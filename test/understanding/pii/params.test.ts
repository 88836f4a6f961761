import { describe, expect, it } from 'vitest';
import { parseTranscriptParams } from '../../../src/transcript/params.js';
import { DETECTED_POLICIES, PII_POLICIES } from '../../../src/understanding/pii/policies.js';

const parse = (extra: Record<string, unknown>) => parseTranscriptParams({ audio_url: 'https://example.com/a.mp3', ...extra });
const error = (extra: Record<string, unknown>) => {
  try {
    parse(extra);
  } catch (err) {
    return (err as Error).message;
  }
  return null;
};

describe('PII request options', () => {
  it('off by default', () => {
    expect(parse({})).toMatchObject({
      redact_pii: false,
      redact_pii_audio: false,
      redact_pii_audio_options: null,
      entity_detection: false,
    });
  });

  it('accepts every detected policy with its options', () => {
    const p = parse({
      redact_pii: true,
      redact_pii_policies: [...DETECTED_POLICIES],
      redact_pii_sub: 'entity_name',
      redact_pii_audio: true,
      redact_pii_audio_quality: 'wav',
      redact_pii_audio_options: { return_redacted_no_speech_audio: true, override_audio_redaction_method: 'silence' },
      entity_detection: true,
    });
    expect(p).toMatchObject({ redact_pii: true, redact_pii_audio: true, entity_detection: true, redact_pii_sub: 'entity_name' });
    expect(p.redact_pii_audio_options).toEqual({ return_redacted_no_speech_audio: true, override_audio_redaction_method: 'silence' });
  });

  it('refuses each policy no recogniser detects, by name, and no upstream name is unknown', () => {
    const undetected = PII_POLICIES.filter((p) => !DETECTED_POLICIES.has(p));
    expect(undetected).toHaveLength(PII_POLICIES.length - DETECTED_POLICIES.size);
    for (const policy of undetected) {
      expect(error({ redact_pii: true, redact_pii_policies: ['email_address', policy] })).toBe(
        `PII redaction cannot detect these policies on this Earshot server: ${policy}`,
      );
    }
    expect(error({ redact_pii: true, redact_pii_policies: ['email'] })).toBe('redact_pii_policies: "email" is not a PII policy');
  });

  it('requires policies with redact_pii, and redact_pii with redact_pii_audio', () => {
    expect(error({ redact_pii: true })).toMatch(/^redact_pii_policies must be a non-empty list/);
    expect(error({ redact_pii: true, redact_pii_policies: [] })).toMatch(/^redact_pii_policies must be a non-empty list/);
    expect(error({ redact_pii_audio: true })).toBe('redact_pii_audio requires redact_pii');
    // Policies alone (without redact_pii) are upstream's no-op: accepted, nothing redacted.
    expect(parse({ redact_pii_policies: ['person_name'] }).redact_pii).toBe(false);
  });

  it('checks redact_pii_audio_options field by field', () => {
    const base = { redact_pii: true, redact_pii_policies: ['person_name'], redact_pii_audio: true };
    expect(error({ ...base, redact_pii_audio_options: { return_redacted_no_speech_audio: 'yes' } })).toBe(
      'redact_pii_audio_options.return_redacted_no_speech_audio must be a Boolean',
    );
    expect(error({ ...base, redact_pii_audio_options: { override_audio_redaction_method: 'beep' } })).toBe(
      'redact_pii_audio_options.override_audio_redaction_method must be one of: silence',
    );
    expect(error({ ...base, redact_pii_audio_options: { volume: 3 } })).toBe('redact_pii_audio_options.volume is not an option');
    expect(error({ ...base, redact_pii_audio_options: [] })).toBe('redact_pii_audio_options must be an Object');
  });
});
