import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/http/errors.js';
import { parseLemurParams, type LemurKind } from '../../src/lemur/params.js';

const ID = '0b2a8f6e-7c1d-4e5f-9a0b-1c2d3e4f5a6b';

function rejects(kind: LemurKind, body: unknown): string {
  try {
    parseLemurParams(kind, body);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).statusCode).toBe(400);
    return (err as ApiError).message;
  }
  throw new Error('accepted');
}

describe('LeMUR parameters', () => {
  it('takes upstream defaults', () => {
    expect(parseLemurParams('summary', { transcript_ids: [ID.toUpperCase(), ID] })).toEqual({
      kind: 'summary',
      transcriptIds: [ID],
      inputText: null,
      context: undefined,
      finalModel: undefined,
      maxOutput: 2000,
      temperature: 0,
      answerFormat: undefined,
    });
  });

  it("accepts the Python SDK's sources form", () => {
    expect(parseLemurParams('task', { sources: [{ id: ID, type: 'transcript' }], prompt: 'p' }).transcriptIds).toEqual([ID]);
    // `aai.Lemur().task(prompt, input_text=…)` sends an empty sources list beside the text.
    const text = parseLemurParams('task', { sources: [], input_text: 'hello', prompt: 'p' });
    expect({ ids: text.transcriptIds, text: text.inputText }).toEqual({ ids: null, text: 'hello' });
  });

  it('refuses what cannot work, saying why', () => {
    expect(rejects('task', [])).toBe('Request body must be a JSON object');
    expect(rejects('task', { prompt: 'p' })).toBe('Either transcript_ids or input_text is required');
    expect(rejects('task', { transcript_ids: [], prompt: 'p' })).toBe(
      'transcript_ids is empty: give at least one transcript id, or use input_text',
    );
    expect(rejects('task', { transcript_ids: [ID], input_text: 'x', prompt: 'p' })).toBe(
      'Use either transcript_ids or input_text, not both',
    );
    expect(rejects('task', { transcript_ids: [ID], sources: [], prompt: 'p' })).toBe('Use either transcript_ids or sources, not both');
    expect(rejects('task', { sources: [{ id: 1 }], prompt: 'p' })).toBe(
      'sources must be an array of {"id": "<transcript id>", "type": "transcript"}',
    );
    expect(rejects('task', { input_text: ' ', prompt: 'p' })).toBe('input_text is empty');
    expect(rejects('task', { input_text: 'x' })).toBe('prompt is required: the instruction for the model');
    expect(rejects('task', { input_text: 'x', prompt: 'p', context: 3 })).toBe('context must be a string or a JSON object');
    expect(rejects('task', { input_text: 'x', prompt: 'p', temperature: 1.01 })).toBe('temperature must be a number between 0 and 1');
    expect(rejects('task', { input_text: 'x', prompt: 'p', max_output_size: 2.5 })).toBe(
      'max_output_size must be a positive integer (tokens)',
    );
    expect(rejects('task', { input_text: 'x', prompt: 'p', final_model: 7 })).toBe('final_model must be a string');
    const many = Array.from({ length: 101 }, (_, i) => `${ID.slice(0, -3)}${String(i).padStart(3, '0')}`);
    expect(rejects('task', { transcript_ids: many, prompt: 'p' })).toBe('transcript_ids may list at most 100 transcripts (got 101)');
  });

  it('checks questions', () => {
    expect(rejects('question-answer', { input_text: 'x' })).toBe('questions is required: a non-empty array of {"question": "..."}');
    expect(rejects('question-answer', { input_text: 'x', questions: [{ question: '' }] })).toBe('questions[0].question is required');
    expect(rejects('question-answer', { input_text: 'x', questions: [{ question: 'q', answer_options: [] }] })).toBe(
      'questions[0].answer_options must be a non-empty array of strings',
    );
    expect(rejects('question-answer', { input_text: 'x', questions: [{ question: 'q', answer_format: 'f', answer_options: ['a'] }] })).toBe(
      'questions[0]: use answer_format or answer_options, not both',
    );
    expect(
      parseLemurParams('question-answer', { input_text: 'x', questions: [{ question: 'q', answer_options: ['a', 'b'] }] }).questions,
    ).toEqual([{ question: 'q', context: undefined, answer_options: ['a', 'b'] }]);
  });
});
