import type { SummaryModel, SummaryType } from '../transcript/params.js';
import type { TranscriptWord } from '../transcript/types.js';
import type { Session } from './map-reduce.js';
import { answerJsonAbout } from './structured.js';

/** summarization on the configured LLM, in upstream's `summary_model` styles and `summary_type` shapes. */

const STYLE: Record<SummaryModel, string> = {
  informative: 'Summarize the transcript: its main points, facts and conclusions.',
  conversational: 'Summarize the conversation in the transcript: what each speaker said, asked and agreed, naming the speakers.',
  catchy: 'Write a catchy, attention-grabbing title for the transcript.',
};

interface Shape {
  instruction: string;
  schema: Record<string, unknown>;
  /** The schema's longest answer even at a character per token (a small model's worst case), and its JSON. */
  tokens: number;
}

const text = (maxLength: number) => ({
  type: 'object',
  properties: { summary: { type: 'string', maxLength } },
  required: ['summary'],
  additionalProperties: false,
});
const bullets = (maxItems: number, maxLength: number) => ({
  type: 'object',
  properties: { bullets: { type: 'array', minItems: 1, maxItems, items: { type: 'string', maxLength } } },
  required: ['bullets'],
  additionalProperties: false,
});

const SHAPES: Record<SummaryType, Shape> = {
  bullets: {
    instruction: 'Write it as up to 6 short bullet points. Reply as JSON: {"bullets": ["..."]}',
    schema: bullets(6, 160),
    tokens: 1100,
  },
  bullets_verbose: {
    instruction: 'Write it as up to 8 detailed bullet points of one or two sentences each. Reply as JSON: {"bullets": ["..."]}',
    schema: bullets(8, 240),
    tokens: 2000,
  },
  gist: { instruction: 'Write it as a gist of a few words. Reply as JSON: {"summary": "..."}', schema: text(60), tokens: 100 },
  headline: { instruction: 'Write it as a single-sentence headline. Reply as JSON: {"summary": "..."}', schema: text(200), tokens: 250 },
  paragraph: { instruction: 'Write it as one paragraph. Reply as JSON: {"summary": "..."}', schema: text(1200), tokens: 1300 },
};

/** `summary`, as upstream writes it: bullets as "- …" lines, the other types as plain text. */
export async function summarize(
  session: Session,
  words: readonly TranscriptWord[],
  audioDuration: number,
  model: SummaryModel,
  type: SummaryType,
): Promise<string> {
  const shape = SHAPES[type];
  const ask = {
    instruction: `${STYLE[model]} ${shape.instruction}`,
    partInstruction: 'Summarize this part. Keep every fact, decision, number and name that a summary of the whole could need.',
    jsonSchema: shape.schema,
  };
  const parsed = await answerJsonAbout<{ summary?: unknown; bullets?: unknown }>(session, { words, audioDuration }, ask, shape.tokens);
  if (Array.isArray(parsed.bullets)) {
    return parsed.bullets
      .filter((b): b is string => typeof b === 'string' && b.trim() !== '')
      .map((b) => `- ${b.trim().replace(/^[-•*]\s*/, '')}`)
      .join('\n');
  }
  return typeof parsed.summary === 'string' ? parsed.summary.trim() : '';
}
