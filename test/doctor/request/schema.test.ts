import { describe, expect, it } from 'vitest';
import { LEMUR_FIELDS, TRANSCRIPT_FIELDS, TRANSCRIPT_REMOVED, TRANSCRIPT_REQUIRED } from '../../../src/doctor/request/schema.js';
import { fieldsOf, loadSpec } from './openapi-fields.js';

describe('the pasted-request check validates against the upstream OpenAPI documents', () => {
  it('TRANSCRIPT_FIELDS is TranscriptParams at the spec HEAD: names, types, enums, ranges, deprecations', () => {
    const { fields, required } = fieldsOf(loadSpec('openapi.yml'), 'TranscriptParams');
    expect(TRANSCRIPT_FIELDS).toEqual(fields);
    expect([...TRANSCRIPT_REQUIRED].sort()).toEqual([...required].sort());
  });

  it('the removed fields are in the older spec and not at HEAD, with the same types', () => {
    const old = fieldsOf(loadSpec('openapi-2025-01-full-with-lemur-and-realtime-token.yml'), 'TranscriptParams').fields;
    for (const [name, { spec }] of Object.entries(TRANSCRIPT_REMOVED)) {
      expect(TRANSCRIPT_FIELDS[name]).toBeUndefined();
      expect(old[name]).toEqual(spec);
    }
  });

  it('LeMUR fields have the types of the last spec with LeMUR (action items: 2025-01)', () => {
    const names = {
      task: 'LemurTaskParams',
      summary: 'LemurSummaryParams',
      'question-answer': 'LemurQuestionAnswerParams',
      'action-items': 'LemurActionItemsParams',
    } as const;
    for (const [kind, schema] of Object.entries(names)) {
      const doc = loadSpec(
        kind === 'action-items' ? 'openapi-2025-01-full-with-lemur-and-realtime-token.yml' : 'openapi-2025-10-last-with-lemur.yml',
      );
      const { fields } = fieldsOf(doc, schema);
      for (const [name, spec] of Object.entries(fields)) {
        // context is "string or object" (oneOf) upstream; final_model an open string on most endpoints.
        if (name === 'context' || name === 'final_model') continue;
        expect(LEMUR_FIELDS[kind]!.fields[name], `${kind}.${name}`).toEqual(spec);
      }
    }
  });
});
