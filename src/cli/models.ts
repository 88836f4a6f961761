import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { catalogue, catalogueEntry, mirrorUrl } from '../models/catalogue.js';
import { downloadModel, unpackArchive } from '../models/download.js';
import { findModel, listInstalled, modelPath, modelsDir, removeModel } from '../models/store.js';
import { addConfigOptions, configFrom, examples } from './options.js';

function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  return `${Math.round(n / 1e6)} MB`;
}

/** Errors of a machine that cannot reach the download host (offline, DNS, firewall, proxy-only network). */
const UNREACHABLE = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** What failed and what to do, for a download that could not reach its host; other errors as they are. */
export function downloadError(err: Error, url: string, fileName: string, mirror: string | null): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (!code || !UNREACHABLE.has(code)) return err;
  const host = new URL(url).host;
  const fix = mirror
    ? `Check that the mirror EARSHOT_MODEL_BASE_URL=${mirror} is up and serves ${fileName}.`
    : `Offline or behind a firewall? Put ${fileName} on a machine this one reaches and set EARSHOT_MODEL_BASE_URL to its directory ` +
      `(e.g. EARSHOT_MODEL_BASE_URL=http://mirror.lan/models fetches http://mirror.lan/models/${fileName}).`;
  return new Error(`cannot download ${url}: ${host} cannot be reached (${code}). ${fix}`);
}

/** `earshot models list|pull|rm`: the whisper models and LLMs under `<data-dir>/models`. */
export function registerModels(program: Command): void {
  const models = program
    .command('models')
    .description('Manage whisper speech models, LLMs for LeMUR and the streaming VAD (stored in <data-dir>/models)');
  examples(
    models,
    'earshot models list',
    'earshot models pull base.en',
    'EARSHOT_MODEL_BASE_URL=http://mirror.lan/models earshot models pull silero-vad',
    'earshot models rm tiny',
  );

  const command = (name: string, description: string, ...example: string[]) =>
    examples(models.command(name).description(description), ...example);
  addConfigOptions(
    command('list', 'List the model catalogue; * marks installed models', 'earshot models list', 'earshot models list --json').option(
      '--json',
      'print JSON',
    ),
    ['dataDir'],
  ).action(async (opts: Record<string, unknown>) => {
    const { dataDir } = configFrom(opts);
    const installed = new Map((await listInstalled(dataDir)).map((m) => [m.name, m]));
    const rows = catalogue().map((e) => ({ ...e, installed: installed.has(e.name) }));
    // Models copied in by hand are usable too (`--whisper-model <name>`), so show them.
    const extra = [...installed.values()].filter((m) => !catalogueEntry(m.name));
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ catalogue: rows, other: extra }, null, 2)}\n`);
      return;
    }
    for (const r of rows) {
      const what =
        r.kind === 'llm'
          ? `LLM for LeMUR (${r.licence})`
          : r.kind === 'vad'
            ? 'voice activity detection for streaming'
            : r.kind.startsWith('speaker-')
              ? `${r.kind} for speaker labels (${r.licence})`
              : r.kind === 'sherpa-streaming'
                ? `sherpa-onnx streaming (${r.languages === 'en' ? 'English' : 'multilingual'})`
                : r.kind === 'sherpa'
                  ? `sherpa-onnx (${r.languages === 'en' ? 'English' : 'multilingual'})`
                  : r.languages === 'en'
                    ? 'English'
                    : 'multilingual';
      process.stdout.write(`${r.installed ? '*' : ' '} ${r.name.padEnd(22)} ${formatBytes(r.sizeBytes).padStart(8)}  ${what}\n`);
    }
    for (const m of extra) process.stdout.write(`* ${m.name.padEnd(22)} ${formatBytes(m.sizeBytes).padStart(8)}  (not in catalogue)\n`);
    process.stderr.write(`Models directory: ${modelsDir(dataDir)}\n`);
  });

  addConfigOptions(
    command(
      'pull',
      'Download a model (resumes an interrupted download, verifies its checksum)',
      'earshot models pull base.en',
      'EARSHOT_MODEL_BASE_URL=http://mirror.lan/models earshot models pull silero-vad   # offline: from a mirror',
    )
      .argument('<name>')
      .option('--force', 'download again even if installed')
      .option('--quiet', 'no progress bar'),
    ['dataDir'],
  ).action(async (name: string, opts: Record<string, unknown>) => {
    const { dataDir } = configFrom(opts);
    const entry = catalogueEntry(name);
    if (!entry) {
      process.stderr.write(
        `Unknown model "${name}". Known models: ${catalogue()
          .map((e) => e.name)
          .join(', ')}\n`,
      );
      process.exitCode = 1;
      return;
    }
    if (!opts.force && (await findModel(dataDir, name))) {
      process.stderr.write(`${name} is already installed at ${modelPath(dataDir, name)} (use --force to download it again).\n`);
      return;
    }
    const showBar = !opts.quiet && process.stderr.isTTY;
    const bar = new cliProgress.SingleBar(
      { format: `${entry.fileName} {bar} {percentage}% | {done}/{size} | ETA {eta_formatted}`, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    if (showBar) bar.start(entry.sizeBytes, 0, { done: formatBytes(0), size: formatBytes(entry.sizeBytes) });
    // Ctrl-C keeps the .part file, so the next pull resumes from where this one stopped.
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    // A release archive downloads beside the directory it unpacks to.
    const dest = entry.unpacksTo ? `${modelsDir(dataDir)}/${entry.fileName}` : modelPath(dataDir, name);
    try {
      await downloadModel({
        url: entry.url,
        dest,
        expectedSize: entry.sizeBytes,
        sha256: entry.sha256,
        signal: controller.signal,
        onProgress: (received) => showBar && bar.update(received, { done: formatBytes(received) }),
      });
    } catch (err) {
      throw downloadError(err as Error, entry.url, entry.fileName, mirrorUrl());
    } finally {
      process.off('SIGINT', onSigint);
      if (showBar) bar.stop();
    }
    if (entry.unpacksTo) await unpackArchive(dest, modelsDir(dataDir), entry.unpacksTo);
    process.stderr.write(`Installed ${name} (${formatBytes(entry.sizeBytes)}, checksum verified) at ${modelPath(dataDir, name)}\n`);
  });

  addConfigOptions(command('rm', 'Delete an installed model', 'earshot models rm tiny').argument('<name>'), ['dataDir']).action(
    async (name: string, opts: Record<string, unknown>) => {
      const { dataDir } = configFrom(opts);
      if (await removeModel(dataDir, name)) process.stdout.write(`Removed ${name}.\n`);
      else {
        process.stderr.write(`Model "${name}" is not installed in ${modelsDir(dataDir)}.\n`);
        process.exitCode = 1;
      }
    },
  );
}
