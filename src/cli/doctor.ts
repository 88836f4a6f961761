import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { DoctorOptions } from '../doctor/context.js';
import { CHECKS, type CheckName } from '../doctor/finding.js';
import { formatReport } from '../doctor/format.js';
import { runDoctor } from '../doctor/index.js';
import { apiKeyFrom, examples, explicitServer } from './options.js';

function positiveInt(name: string, raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${String(raw)}"`);
  return n;
}

function webhookAuth(raw: unknown): { name: string; value: string } | null {
  if (raw === undefined) return null;
  const s = String(raw);
  const colon = s.indexOf(':');
  if (colon <= 0) throw new Error('--webhook-auth must look like "Header-Name: value"');
  return { name: s.slice(0, colon).trim(), value: s.slice(colon + 1).trim() };
}

/** `earshot doctor`: why an AssemblyAI integration does not work, against Earshot or AssemblyAI's cloud. */
export function registerDoctor(program: Command): void {
  const cmd = program
    .command('doctor')
    .description("Find out why an AssemblyAI integration is not working (against Earshot or AssemblyAI's cloud), and say the fix")
    .option(
      '--server <url>',
      "API root to check (default: $ASSEMBLYAI_BASE_URL, $EARSHOT_URL, the pasted request's host, or http://127.0.0.1:8976)",
    )
    .addOption(new Option('--base-url <url>').hideHelp())
    .option(
      '--api-key <key>',
      'API key (default: $EARSHOT_API_KEY, else $ASSEMBLYAI_API_KEY; the other way round when $ASSEMBLYAI_BASE_URL is set)',
    )
    .option('--audio <file|url>', 'audio to check: a local file is probed, a URL is checked as the server would fetch it')
    .option('--submit', 'submit a transcript (of --audio, or a built-in speech sample) and follow it to the end')
    .option('--transcript-id <id>', 'follow this transcript: why is it stuck or failed?')
    .option('--wait <seconds>', 'how long to follow a transcript', '120')
    .option(
      '--stuck-after <seconds>',
      "call a transcript stuck after this long (default: 3x the service's typical time for its length, at least 2 min)",
    )
    .option('--webhook-url <url>', 'send the exact webhook delivery to this receiver and judge its answer')
    .option('--webhook-auth <header>', 'the webhook auth header to send, as "Name: value"')
    .option('--webhook-timeout-ms <ms>', 'how long a receiver may take (upstream: 10000)', '10000')
    .option('--curl <command>', 'a failing curl command, pasted (quote it)')
    .option('--request <file>', 'a failing curl command or raw HTTP request, from a file ("-" for stdin)')
    .option('--offline', "check the pasted request's text only; send nothing")
    .option('--lemur', 'check the transcript is ready for LeMUR and fits the context')
    .option('--lemur-model <model>', 'LeMUR final_model to check the context size for')
    .option('--lemur-context-tokens <n>', 'context size to check against, in tokens')
    .option('--streaming', 'check streaming even when other inputs are given')
    .option('--no-streaming', 'skip the streaming check')
    .option('--sample-rate <hz>', 'streaming sample_rate to declare', '16000')
    .addOption(new Option('--encoding <encoding>', 'streaming encoding').choices(['pcm_s16le', 'pcm_mulaw']).default('pcm_s16le'))
    .addOption(new Option('--protocol <protocol>', 'streaming protocol').choices(['v3', 'v2']).default('v3'))
    .option(
      '--stream-audio <file>',
      'the audio you plan to stream (raw PCM or WAV): checked against --sample-rate and --encoding, then streamed',
    )
    .option('--streaming-url <url>', 'streaming base URL (default: wss://streaming.assemblyai.com for the cloud, else the base URL)')
    .option('--token <token>', 'a temporary streaming token to test')
    .option('--token-expires <seconds>', 'expires_in_seconds to request a token with')
    .option('--status-url <url>', 'status page (Statuspage summary.json) to read')
    .option('--only <checks>', `run only these checks (comma-separated: ${CHECKS.join(', ')})`)
    .option('--json', 'print the report as JSON (stable finding codes)')
    .option('--verbose', 'show passing checks and evidence too')
    .option('--no-color', 'no colours');
  examples(
    cmd,
    'earshot doctor',
    'earshot doctor --server https://api.assemblyai.com --api-key $ASSEMBLYAI_API_KEY',
    'earshot doctor --audio ./meeting.m4a --webhook-url https://example.com/hook',
    'earshot doctor --transcript-id 5f3c…',
    'earshot doctor --curl \'curl -H "Authorization: Bearer …" https://stt.example.com/v2/transcript\' --json',
  );
  cmd.action(async (opts: Record<string, unknown>) => {
    let request: string | null = (opts.curl as string | undefined) ?? null;
    if (opts.request) request = readFileSync(opts.request === '-' ? 0 : (opts.request as string), 'utf8');
    const only = opts.only
      ? String(opts.only)
          .split(',')
          .map((s) => s.trim())
      : null;
    const unknown = only?.filter((c) => !CHECKS.includes(c as CheckName));
    if (unknown?.length) throw new Error(`--only: unknown check(s) ${unknown.join(', ')}; known: ${CHECKS.join(', ')}`);
    const json = Boolean(opts.json);
    const env = process.env;
    const tty = process.stderr.isTTY && !json;
    const options: DoctorOptions = {
      baseUrl: explicitServer(opts, {}) ?? env.ASSEMBLYAI_BASE_URL ?? env.EARSHOT_URL ?? '',
      // The cloud's variables go together; otherwise Earshot's key first (the one its fix lines name).
      apiKey:
        apiKeyFrom(opts, {}) ??
        (env.ASSEMBLYAI_BASE_URL ? env.ASSEMBLYAI_API_KEY : undefined) ??
        apiKeyFrom({}, env) ??
        env.ASSEMBLYAI_API_KEY ??
        null,
      audio: (opts.audio as string | undefined) ?? null,
      submit: Boolean(opts.submit),
      transcriptId: (opts.transcriptId as string | undefined) ?? null,
      waitSeconds: positiveInt('--wait', opts.wait),
      stuckAfterSeconds: positiveInt('--stuck-after', opts.stuckAfter) ?? null,
      webhookUrl: (opts.webhookUrl as string | undefined) ?? null,
      webhookAuth: webhookAuth(opts.webhookAuth),
      webhookTimeoutMs: positiveInt('--webhook-timeout-ms', opts.webhookTimeoutMs),
      request,
      offline: Boolean(opts.offline),
      lemur: Boolean(opts.lemur),
      lemurModel: (opts.lemurModel as string | undefined) ?? null,
      lemurContextTokens: positiveInt('--lemur-context-tokens', opts.lemurContextTokens) ?? null,
      streaming: opts.streaming as boolean | undefined,
      sampleRate: Number(opts.sampleRate),
      encoding: opts.encoding as DoctorOptions['encoding'],
      streamingProtocol: opts.protocol as DoctorOptions['streamingProtocol'],
      streamAudio: (opts.streamAudio as string | undefined) ?? null,
      streamingUrl: (opts.streamingUrl as string | undefined) ?? null,
      token: (opts.token as string | undefined) ?? null,
      tokenExpiresInSeconds: positiveInt('--token-expires', opts.tokenExpires),
      statusUrl: (opts.statusUrl as string | undefined) ?? null,
      checks: only as CheckName[] | null,
      onProgress: tty ? (line) => process.stderr.write(`\r\x1b[2K\x1b[2m… ${line}\x1b[0m`) : undefined,
    };
    const report = await runDoctor(options);
    if (tty) process.stderr.write('\r\x1b[2K');
    const color = opts.color !== false && process.stdout.isTTY === true && !process.env.NO_COLOR;
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, { color, verbose: Boolean(opts.verbose) }));
    process.exitCode = report.exit_code;
  });
}
