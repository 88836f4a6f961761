import { describe, expect, it } from 'vitest';
import type { ChatRequest, LlmBackend } from '../../src/lemur/backend.js';
import { Session } from '../../src/lemur/map-reduce.js';
import { parseUnderstandingRequest, runUnderstanding } from '../../src/lemur/understanding.js';

/** A backend that answers from `reply` and counts a token per 4 characters. */
function fakeBackend(reply: (r: ChatRequest) => string): LlmBackend & { requests: ChatRequest[] } {
  const requests: ChatRequest[] = [];
  const count = (s: string) => Math.ceil(s.length / 4);
  return {
    kind: 'openai',
    location: 'fake',
    loading: false,
    requests,
    models: async () => [{ name: 'fake', contextTokens: 4096 }],
    countPromptTokens: async (_m, messages) => messages.reduce((n, m) => n + count(m.content), 0),
    countTokens: async (_m, texts) => texts.map(count),
    chat: async (r) => {
      requests.push(r);
      return { text: reply(r), inputTokens: 1, outputTokens: 1, finishReason: 'stop' };
    },
    close: async () => undefined,
  };
}

const words = ['Call', 'me', 'on', '2024-12-25.', 'Thanks.'].map((text, i) => ({
  text,
  start: i * 500,
  end: i * 500 + 400,
  confidence: 0.9,
  speaker: null,
}));
const transcript = { id: 't1', text: words.map((w) => w.text).join(' '), words, audioDuration: 2.5 };

describe('speech understanding', () => {
  it("translates, identifies the speaker and reformats, from the model's answers", async () => {
    const backend = fakeBackend((r) => {
      const prompt = r.messages.map((m) => m.content).join('\n');
      if (prompt.includes('Translate')) return `[${/code "(\w+)"/.exec(prompt)![1]}] ${/<text>\n(.*)\n<\/text>/s.exec(prompt)![1]}`;
      if (prompt.includes('Identify')) return '{"A": "interviewer"}';
      return '{"items": [{"original": "2024-12-25", "formatted": "12/25/2024"}, {"original": "not said", "formatted": "x"}]}';
    });
    const req = parseUnderstandingRequest({
      transcript_id: 't1',
      speech_understanding: {
        request: {
          translation: { target_languages: ['es', 'de'], match_original_utterance: true },
          speaker_identification: { speaker_type: 'role', known_values: ['interviewer', 'candidate'] },
          custom_formatting: { date: 'mm/dd/yyyy' },
        },
      },
    });
    const out = (await runUnderstanding(new Session(backend, { name: 'fake', contextTokens: 4096 }, 0), req, transcript)) as {
      translated_texts: unknown;
      utterances: unknown[];
      words: { speaker: string }[];
      speech_understanding: { request: unknown; response: unknown };
    };
    expect(out.translated_texts).toEqual({ es: `[es] ${transcript.text}`, de: `[de] ${transcript.text}` });
    expect(out.utterances).toHaveLength(1);
    expect(out.utterances[0]).toMatchObject({
      speaker: 'interviewer',
      text: transcript.text,
      start: 0,
      end: 2400,
      translated_texts: { es: `[es] ${transcript.text}` },
    });
    expect(out.words.every((w: { speaker: string }) => w.speaker === 'interviewer')).toBe(true);
    expect(out.speech_understanding.response).toEqual({
      translation: { status: 'completed' },
      speaker_identification: { mapping: { A: 'interviewer' }, status: 'completed' },
      custom_formatting: {
        // What the transcript does not say is not rewritten.
        mapping: { '2024-12-25': '12/25/2024' },
        formatted_text: 'Call me on 12/25/2024. Thanks.',
        formatted_utterances: [{ speaker: 'interviewer', text: 'Call me on 12/25/2024. Thanks.', start: 0, end: 2400, confidence: 0.9 }],
        status: 'completed',
      },
    });
    expect(out.speech_understanding.request).toEqual(req.echo);
    // The speaker's answer was constrained to the known values.
    const identify = backend.requests.find((r) => r.messages.some((m) => m.content.includes('Identify')))!;
    expect(identify.jsonSchema).toMatchObject({ properties: { A: { enum: ['interviewer', 'candidate', 'Unknown'] } }, required: ['A'] });
  });

  it('refuses what it does not do, by name', () => {
    const bad = (request: unknown) => () => parseUnderstandingRequest({ transcript_id: 't1', speech_understanding: { request } });
    expect(bad({ summarization: {} })).toThrow(
      'speech_understanding.request.summarization is not supported by this Earshot server. Supported: translation, speaker_identification, custom_formatting',
    );
    expect(bad({ translation: { target_languages: [] } })).toThrow('speech_understanding.request.translation.target_languages is required');
    expect(bad({ speaker_identification: { speaker_type: 'role' } })).toThrow(
      'known_values (or speakers) is required when speaker_type is "role"',
    );
    expect(bad({ speaker_identification: { speaker_type: 'name', known_values: ['x'.repeat(36)] } })).toThrow(
      /each value must be 35 characters or less/,
    );
    expect(bad({ custom_formatting: {} })).toThrow('needs at least one of: date, phone_number, email');
    expect(() => parseUnderstandingRequest({ speech_understanding: { request: {} } })).toThrow('transcript_id is required');
  });
});
