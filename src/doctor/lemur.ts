import { estimateTokens as earshotTokens } from '../lemur/tokens.js';
import { authHeaders, type DoctorContext } from './context.js';
import { findingsFor, type Finding } from './finding.js';
import { errorText, type HttpAnswer } from './http.js';

const f = findingsFor('lemur');
const TASK = '/lemur/v3/generate/task';
/** Claude models (LeMUR's final_model values) read 200k tokens. */
const CLAUDE_CONTEXT = 200_000;
/** Upstream's cap on transcript_ids: 100 hours of audio. */
const MAX_AUDIO_SECONDS = 100 * 3600;
/** Room kept for the prompt and the answer (upstream's default max_output_size is 2000). */
const reserved = (context: number) => Math.min(2_200, Math.floor(context / 2));

/** Token count as the target counts: Claude about four characters a token; Earshot estimates one per 3 bytes on purpose. */
export function estimateTokens(text: string, earshot: boolean): number {
  return earshot ? earshotTokens(text) : Math.ceil(text.length / 4);
}

/** The context limit: given, else what the server's /v1/models says (Earshot), else Claude's. */
async function contextLimit(ctx: DoctorContext): Promise<{ tokens: number; source: string }> {
  if (ctx.opts.lemurContextTokens) return { tokens: ctx.opts.lemurContextTokens, source: '--lemur-context-tokens' };
  if (ctx.kind === 'self-hosted') {
    const a = await ctx.api.call('GET', '/v1/models', { headers: authHeaders(ctx) }).catch(() => null);
    const models = (a?.json as { data?: { id?: string; context_length?: number }[] } | undefined)?.data ?? [];
    const model = models.find((m) => m.id === ctx.opts.lemurModel) ?? models[0];
    if (a?.status === 200 && typeof model?.context_length === 'number')
      return { tokens: model.context_length, source: `${model.id} on this server (/v1/models)` };
  }
  return { tokens: CLAUDE_CONTEXT, source: `${ctx.opts.lemurModel ?? 'the default model'} (Claude: 200k tokens)` };
}

async function post(ctx: DoctorContext, body: unknown): Promise<HttpAnswer | null> {
  try {
    return await ctx.api.call('POST', TASK, {
      headers: { ...authHeaders(ctx), 'content-type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: 30_000,
    });
  } catch {
    return null;
  }
}

/**
 * LeMUR: does the endpoint exist, is the transcript completed (else LeMUR answers 400 naming its
 * status), and does its text fit the model's context. Never runs a real generation.
 */
export async function checkLemur(ctx: DoctorContext, transcriptId: string | null): Promise<Finding[]> {
  // An empty body is refused by validation (400) where the endpoint exists, and 404s where it does not.
  const probe = await post(ctx, {});
  if (!probe) return [f.fail('no_answer', `POST ${TASK} got no answer.`, 'Fix reachability first.')];
  if (probe.status === 404) {
    return [
      ctx.kind === 'assemblyai'
        ? f.fail(
            'unavailable',
            `POST ${TASK} answers 404: AssemblyAI shut LeMUR down (its endpoints answer 404).`,
            "Move to AssemblyAI's LLM Gateway (https://llm-gateway.assemblyai.com/v1/chat/completions) with the transcript text, or use a self-hosted LeMUR.",
            { status: 404 },
          )
        : f.fail(
            'unavailable',
            `POST ${TASK} answers 404: this server has no LeMUR endpoints.`,
            'Use a server version with LeMUR, or send the transcript text to an LLM yourself.',
            { status: 404 },
          ),
    ];
  }
  if (probe.status === 401) return [f.skip('unauthorized', 'LeMUR refused the key (401), so the check stopped.', 'See the auth findings.')];
  const out: Finding[] = [];
  if (probe.status === 503) {
    // Earshot's words already say how to set a model up.
    out.push(
      f.fail(
        'llm_unavailable',
        `LeMUR answers 503: ${errorText(probe)}`,
        ctx.kind === 'assemblyai' ? 'Retry later.' : 'Set up a model as the message says, then restart the server.',
        { status: 503 },
      ),
    );
  }
  if (!transcriptId) {
    return [
      ...out,
      f.skip(
        'no_transcript',
        `${TASK} exists (answered ${probe.status} to an empty request); no transcript was given to check.`,
        'Give --transcript-id ID (or --submit) to check a transcript is ready for LeMUR.',
      ),
    ];
  }

  const t = await ctx.api
    .call('GET', `/v2/transcript/${encodeURIComponent(transcriptId)}`, { headers: authHeaders(ctx) })
    .catch(() => null);
  if (t?.status !== 200) {
    return [
      ...out,
      f.fail(
        'transcript_not_found',
        `Transcript ${transcriptId} is not found with this key (${t ? `${t.status}: ${errorText(t)}` : 'no answer'}).`,
        'LeMUR takes transcript ids of the same key (and region).',
      ),
    ];
  }
  const transcript = t.json as { status?: string; text?: string | null; audio_duration?: number | null; error?: string };
  const status = String(transcript.status);
  if (status !== 'completed') {
    // What the endpoint itself says about it: upstream answers 400 naming the status.
    const answer = await post(ctx, { transcript_ids: [transcriptId], prompt: 'Say OK.', max_output_size: 10 });
    const evidence = { transcript_status: status, lemur_status: answer?.status ?? null, lemur_error: answer ? errorText(answer) : null };
    if (status === 'error') {
      return [
        ...out,
        f.fail(
          'transcript_failed',
          `Transcript ${transcriptId} failed ("${transcript.error ?? ''}"), so LeMUR cannot use it.`,
          'Fix and resubmit the transcript first (see the lifecycle findings).',
          evidence,
        ),
      ];
    }
    return [
      ...out,
      f.fail(
        'not_completed',
        `Transcript ${transcriptId} is ${status}, not completed: LeMUR refuses it${answer ? ` (${answer.status}: ${errorText(answer)})` : ''}.`,
        'Call LeMUR only after the transcript reaches "completed": poll until completed/error, or start LeMUR from the webhook.',
        evidence,
      ),
    ];
  }

  const text = transcript.text ?? '';
  if (text.trim() === '')
    return [
      ...out,
      f.warn(
        'empty_transcript',
        `Transcript ${transcriptId} has no text, so LeMUR has nothing to read.`,
        "Check the audio has speech in the transcript's language.",
      ),
    ];
  const tokens = estimateTokens(text, ctx.kind === 'self-hosted' && ctx.earshot === true);
  const limit = await contextLimit(ctx);
  const usable = Math.max(1, limit.tokens - reserved(limit.tokens));
  const evidence = {
    estimated_tokens: tokens,
    context_tokens: limit.tokens,
    context_source: limit.source,
    characters: text.length,
    audio_duration: transcript.audio_duration ?? null,
  };
  if (typeof transcript.audio_duration === 'number' && transcript.audio_duration > MAX_AUDIO_SECONDS) {
    return [
      ...out,
      f.fail(
        'too_much_audio',
        `Transcript ${transcriptId} has ${Math.round(transcript.audio_duration / 3600)} h of audio; LeMUR takes at most 100 h per request.`,
        'Split the work over several requests.',
        evidence,
      ),
    ];
  }
  if (tokens > usable) {
    return [
      ...out,
      f.fail(
        'context_exceeded',
        `Transcript ${transcriptId} is about ${tokens} tokens; the context holds ${limit.tokens} (${limit.source}), with room needed for the prompt and answer.`,
        ctx.earshot
          ? `Use summary, question-answer or action-items (Earshot reads long input in parts; task does not), split the text into input_text chunks under ${usable} tokens, or give the server a model with a larger context (EARSHOT_LLM_CONTEXT_TOKENS).`
          : `Split the text into chunks under ${usable} tokens and send each as input_text (then combine the answers), send fewer transcript_ids per request, or choose a final_model with a larger context.`,
        evidence,
      ),
    ];
  }
  if (tokens > usable * 0.8) {
    return [
      ...out,
      f.warn(
        'context_near',
        `Transcript ${transcriptId} is about ${tokens} tokens, near the ${limit.tokens}-token context.`,
        'Keep prompts and context short, or split the text.',
        evidence,
      ),
    ];
  }
  return [
    ...out,
    f.pass(
      'ready',
      `Transcript ${transcriptId} is completed and about ${tokens} tokens, within the ${limit.tokens}-token context.`,
      undefined,
      evidence,
    ),
  ];
}
