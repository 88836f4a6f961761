/**
 * The request's PII and entity options, checked beyond their JSON types (params.ts does those):
 * upstream requires policies with `redact_pii`, and every policy name is upstream's; a policy no
 * recogniser here detects is refused by name rather than accepted and left unredacted.
 */
import { errors } from '../../http/errors.js';
import { DETECTED_POLICIES, isPiiPolicy } from './policies.js';

export interface PiiParams {
  redact_pii: boolean;
  redact_pii_audio: boolean;
  redact_pii_audio_options: { return_redacted_no_speech_audio?: boolean; override_audio_redaction_method?: 'silence' } | null;
  entity_detection: boolean;
}

/** The PII options of a request body (already type-checked) or upstream's 400 saying what is wrong. */
export function piiParams(b: Record<string, unknown>): PiiParams {
  const redact = b.redact_pii === true;
  const policies = b.redact_pii_policies as string[] | null | undefined;
  if (redact && (!policies || policies.length === 0)) {
    throw errors.invalidParam('redact_pii_policies must be a non-empty list of PII policies when redact_pii is true');
  }
  for (const name of policies ?? []) {
    if (!isPiiPolicy(name)) throw errors.invalidParam(`redact_pii_policies: "${name}" is not a PII policy`);
  }
  const unsupported = (policies ?? []).filter((p) => !DETECTED_POLICIES.has(p as never));
  if (unsupported.length > 0) {
    throw errors.invalidParam(`PII redaction cannot detect these policies on this Earshot server: ${[...new Set(unsupported)].join(', ')}`);
  }
  if (b.redact_pii_audio === true && !redact) throw errors.invalidParam('redact_pii_audio requires redact_pii');
  const options = (b.redact_pii_audio_options as Record<string, unknown> | undefined) ?? null;
  if (options) {
    for (const [k, v] of Object.entries(options)) {
      if (k === 'return_redacted_no_speech_audio' && typeof v !== 'boolean') {
        throw errors.invalidParam('redact_pii_audio_options.return_redacted_no_speech_audio must be a Boolean');
      } else if (k === 'override_audio_redaction_method' && v !== 'silence') {
        throw errors.invalidParam('redact_pii_audio_options.override_audio_redaction_method must be one of: silence');
      } else if (k !== 'return_redacted_no_speech_audio' && k !== 'override_audio_redaction_method') {
        throw errors.invalidParam(`redact_pii_audio_options.${k} is not an option`);
      }
    }
  }
  return {
    redact_pii: redact,
    redact_pii_audio: b.redact_pii_audio === true,
    redact_pii_audio_options: options as PiiParams['redact_pii_audio_options'],
    entity_detection: b.entity_detection === true,
  };
}
