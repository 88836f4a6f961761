import type { Probe } from './types.js';
import { byLatency, failed } from './types.js';

/**
 * The LLM answers a tiny prompt (a few tokens). No LLM configured: the component is not shown. The embedded model runs
 * one request at a time, so while it answers a user the probe does not wait in line (a long question would make the
 * probe time out and the component an outage). A request cannot hold it for ever: EARSHOT_LLM_TIMEOUT_MS stops it, and
 * the next round measures the model again.
 */
export const probeLemur: Probe<'llm' | 'slowMs'> = async (env, signal) => {
  const llm = env.llm;
  const status = await llm.status();
  if (status.backend === 'none') return { observed: 'inactive', latencyMs: null, message: status.message };
  if (status.state === 'loading')
    return { observed: 'degraded_performance', latencyMs: null, message: `the model at ${status.location} is still loading` };
  if (status.state === 'unavailable' || !llm.backend)
    return failed(`${status.backend} LLM at ${status.location}: ${status.message ?? 'unavailable'}`);
  const model = status.models[0]!.name;
  const busy = llm.backend.activity?.();
  if (busy?.running) {
    const since = busy.lastTokenAt === null ? null : Date.now() - busy.lastTokenAt;
    const what = since !== null && since < 10_000 ? `last token ${since} ms ago` : 'reading its prompt';
    return {
      observed: 'operational',
      latencyMs: null,
      message: `${model} (${status.backend}) is answering a request (${what}): not probed`,
    };
  }
  const started = performance.now();
  try {
    const r = await llm.backend.chat({
      model,
      messages: [{ role: 'user', content: 'Reply with the single word OK.' }],
      maxTokens: 3,
      temperature: 0,
      signal,
    });
    const ms = performance.now() - started;
    return byLatency(
      env,
      'lemur',
      ms,
      `${model} (${status.backend}) generated ${r.outputTokens} token${r.outputTokens === 1 ? '' : 's'} in ${Math.round(ms)} ms`,
    );
  } catch (err) {
    return failed(`${model} (${status.backend} at ${status.location}): ${(err as Error).message}`, performance.now() - started);
  }
};
