import { errors } from '../http/errors.js';
import { answer, type Session, type Usage } from './map-reduce.js';
import type { LemurParams } from './params.js';
import { actionItemsAsk, contextText, parseOptionAnswer, questionAsk, summaryAsk, taskAsk, type SourceLine } from './prompt.js';

export interface LemurOutcome {
  /** A string for task, summary and action items; question and answer pairs for question-answer. */
  response: string | { question: string; answer: string }[];
  usage: Usage;
  /** 1, or the number of parts long input was read in (map-reduce). */
  parts: number;
}

/** Runs one LeMUR request on the model of `session`. Only task refuses input too long for the model's context. */
export async function runLemur(session: Session, params: LemurParams, source: readonly SourceLine[]): Promise<LemurOutcome> {
  const { model } = session;
  if (params.maxOutput >= model.contextTokens) {
    throw errors.contextExceeded(
      `max_output_size (${params.maxOutput}) must be less than the ${model.contextTokens}-token context of model ${model.name}`,
    );
  }
  const context = contextText(params.context);
  if (params.kind === 'question-answer') {
    const pairs: { question: string; answer: string }[] = [];
    let parts = 1;
    for (const q of params.questions!) {
      const a = await answer(session, source, context, questionAsk(q), params.maxOutput, true);
      parts = Math.max(parts, a.parts);
      pairs.push({ question: q.question, answer: q.answer_options ? parseOptionAnswer(a.text) : a.text.trim() });
    }
    return { response: pairs, usage: session.usage, parts };
  }
  const ask =
    params.kind === 'task'
      ? taskAsk(params.prompt!)
      : params.kind === 'summary'
        ? summaryAsk(params.answerFormat)
        : actionItemsAsk(params.answerFormat);
  const a = await answer(session, source, context, ask, params.maxOutput, params.kind !== 'task');
  return { response: a.text.trim(), usage: session.usage, parts: a.parts };
}
