import type { Command } from 'commander';
import { addClientOptions, clientFrom, examples } from './options.js';

/**
 * `earshot ask TRANSCRIPT_ID "question"`: LeMUR's question & answer on a running server, over
 * its API (so it works beside a server holding the embedded database, and against a remote one).
 */
export function registerAsk(program: Command): void {
  const cmd = program
    .command('ask')
    .description('Ask the LLM a question about transcripts (LeMUR question & answer on a running Earshot server)')
    .argument('<transcript-id>', 'transcript id; several: comma-separated')
    .argument('<question>', 'the question')
    .option('--context <text>', 'context for the model')
    .option('--answer-format <text>', 'how to answer, e.g. "one sentence"')
    .option('--answer-options <list>', 'comma-separated choices the answer must be one of')
    .option('--model <name>', "final_model (default: the server's default model)")
    .option('--max-output-size <tokens>', 'longest answer in tokens')
    .option('--temperature <t>', '0 to 1')
    .option('--json', 'print the whole LeMUR response as JSON');
  addClientOptions(cmd);
  examples(
    cmd,
    'earshot ask 5f3c… "What did they decide?"',
    'earshot ask 5f3c…,9a1b… "Who is responsible for the budget?" --answer-format "one sentence"',
    'EARSHOT_URL=http://gpu-box:8976 earshot ask 5f3c… "Was a date agreed?" --answer-options yes,no --json',
  );
  cmd.action(async (ids: string, question: string, opts: Record<string, unknown>) => {
    const { server, apiKey } = clientFrom(opts);
    if (!apiKey) throw new Error('an API key is needed: --api-key or EARSHOT_API_KEY (create one with `earshot keys create`)');
    const number = (name: string, v: unknown) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`${name} must be a number`);
      return n;
    };
    const body = {
      transcript_ids: ids
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      questions: [
        {
          question,
          ...(opts.context !== undefined && { context: opts.context }),
          ...(opts.answerFormat !== undefined && { answer_format: opts.answerFormat }),
          ...(opts.answerOptions !== undefined && { answer_options: (opts.answerOptions as string).split(',').map((s) => s.trim()) }),
        },
      ],
      final_model: opts.model,
      max_output_size: number('--max-output-size', opts.maxOutputSize),
      temperature: number('--temperature', opts.temperature),
    };
    const url = `${server}/lemur/v3/generate/question-answer`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { authorization: apiKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (err) {
      const cause = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      throw new Error(`cannot reach Earshot at ${server} (${cause}); is \`earshot serve\` running? (--server sets the URL)`);
    }
    const json = (await res.json().catch(() => ({}))) as {
      error?: string;
      request_id?: string;
      usage?: { input_tokens: number; output_tokens: number };
      response?: { answer: string }[];
    };
    if (!res.ok) throw new Error(`${res.status}: ${json.error ?? res.statusText}`);
    if (opts.json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    else process.stdout.write(`${json.response?.[0]?.answer ?? ''}\n`);
    process.stderr.write(
      `LeMUR request ${json.request_id}: ${json.usage?.input_tokens} input tokens, ${json.usage?.output_tokens} output tokens\n`,
    );
  });
}
