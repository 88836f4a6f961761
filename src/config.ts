import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Every setting lives in this one table: its environment variable, its CLI flag,
 * its default and its description. The table in docs/configuration.md is printed
 * from it (`configTableMarkdown`; test/config.test.ts checks that the two match).
 */
interface Setting<T> {
  env: string;
  flag: string;
  default: T;
  description: string;
  parse: (raw: string) => T;
  /** Shown in the docs when the default is computed at run time. */
  defaultLabel?: string;
  /** Carries a credential: never printed or logged (`earshot serve --print-config` shows `[redacted]`). */
  secret?: boolean;
}

const str = (raw: string): string => raw;
const int = (raw: string): number => {
  const n = Number(raw);
  if (!Number.isFinite(n) || !Number.isInteger(n)) throw new Error(`expected an integer, got "${raw}"`);
  return n;
};
const num = (raw: string): number => {
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`expected a number, got "${raw}"`);
  return n;
};
const fraction = (raw: string): number => {
  const n = num(raw);
  if (n < 0 || n > 1) throw new Error(`expected a number from 0 to 1, got "${raw}"`);
  return n;
};
const bool = (raw: string): boolean => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off|)$/i.test(raw)) return false;
  throw new Error(`expected true or false, got "${raw}"`);
};
const optional = (raw: string): string | null => (raw === '' ? null : raw);
const oneOf =
  <T extends string>(...values: T[]) =>
  (raw: string): T => {
    if ((values as string[]).includes(raw)) return raw as T;
    throw new Error(`expected ${values.map((v) => `"${v}"`).join(' or ')}, got "${raw}"`);
  };

const STORAGE_URL_FORMS = 'expected file:///DIR or s3://BUCKET[/PREFIX]';

/** Where EARSHOT_STORAGE_URL puts blobs: a directory, or an S3 bucket and key prefix (no slashes at either end). */
export function parseStorageUrl(raw: string): { kind: 'file'; dir: string } | { kind: 's3'; bucket: string; prefix: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${STORAGE_URL_FORMS}, got "${raw}"`);
  }
  if (url.protocol === 'file:' && !url.search && !url.hash) return { kind: 'file', dir: fileURLToPath(url) };
  if (url.protocol === 's3:' && url.hostname && !url.port && !url.username && !url.search && !url.hash) {
    return { kind: 's3', bucket: url.hostname, prefix: decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '') };
  }
  throw new Error(`${STORAGE_URL_FORMS}, got "${raw}"`);
}
const storageUrl = (raw: string): string | null => {
  if (raw === '') return null;
  parseStorageUrl(raw);
  return raw;
};

/** An LLM Gateway model id (or `prefix*`, or `*` for any) and the local model that answers it (null: the default model). */
export interface ModelAlias {
  pattern: string;
  model: string | null;
}
/** `claude-*=qwen2.5-3b-instruct,gpt-4.1=llama3.2,*`: `pattern=model` pairs; a pattern on its own selects the default model. */
const modelAliases = (raw: string): ModelAlias[] =>
  raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [pattern = '', model, extra] = entry.split('=').map((s) => s.trim());
      if (!pattern || model === '' || extra !== undefined || (pattern.includes('*') && pattern.indexOf('*') !== pattern.length - 1)) {
        throw new Error(`expected comma-separated "id=model", "prefix*=model" or "*", got "${entry}"`);
      }
      return { pattern, model: model ?? null };
    });

function setting<T>(s: Setting<T>): Setting<T> {
  return s;
}

/** A server key shorter than this is easy to guess (generated keys have 32 hex characters). */
export const MIN_SERVER_KEY_LENGTH = 16;

export const settings = {
  host: setting({
    env: 'EARSHOT_HOST',
    flag: '--host',
    default: '127.0.0.1',
    parse: str,
    description: 'Address to listen on (use 0.0.0.0 to serve other machines).',
  }),
  port: setting({ env: 'EARSHOT_PORT', flag: '--port', default: 8976, parse: int, description: 'HTTP port.' }),
  tls: setting({
    env: 'EARSHOT_TLS',
    flag: '--tls',
    default: 'off' as 'off' | 'self-signed',
    parse: oneOf('off', 'self-signed'),
    description:
      "`off` or `self-signed`: also serve HTTPS (and `wss://`, which the AssemblyAI SDKs require for streaming) on the TLS port with a certificate for localhost, 127.0.0.1, ::1 and this machine's hostname, created in `<data-dir>/tls/` on first start, then reused (and renewed once expired). The start-up message tells how to trust it.",
  }),
  tlsPort: setting({
    env: 'EARSHOT_TLS_PORT',
    flag: '--tls-port',
    default: 8977,
    parse: int,
    description: 'HTTPS port, served besides the HTTP port when TLS is on (`EARSHOT_TLS=self-signed`, or a certificate and key given).',
  }),
  tlsCert: setting({
    env: 'EARSHOT_TLS_CERT',
    flag: '--tls-cert',
    default: null as string | null,
    parse: optional,
    description:
      'Certificate (PEM file, server certificate first, then any intermediates) to serve HTTPS with, instead of a self-signed one; needs `EARSHOT_TLS_KEY`.',
  }),
  tlsKey: setting({
    env: 'EARSHOT_TLS_KEY',
    flag: '--tls-key',
    default: null as string | null,
    parse: optional,
    description: 'Unencrypted private key (PEM file) of `EARSHOT_TLS_CERT`.',
  }),
  publicUrl: setting({
    env: 'EARSHOT_PUBLIC_URL',
    flag: '--public-url',
    default: null as string | null,
    parse: optional,
    description:
      "Base URL clients reach this server at (used in `upload_url` and `page_details`). Default: taken from each request's Host header.",
  }),
  dataDir: setting({
    env: 'EARSHOT_DATA_DIR',
    flag: '--data-dir',
    default: path.join(os.homedir(), '.earshot'),
    defaultLabel: '~/.earshot',
    parse: str,
    description: 'Where the embedded database, uploads (unless `EARSHOT_STORAGE_URL` says otherwise) and models live.',
  }),
  minFreeDiskMb: setting({
    env: 'EARSHOT_MIN_FREE_DISK_MB',
    flag: '--min-free-disk-mb',
    default: 100,
    parse: num,
    description:
      "Less free space than this on the data directory's disk makes `/health` answer 503 (`disk`), before writes start failing (507).",
  }),
  storageUrl: setting({
    env: 'EARSHOT_STORAGE_URL',
    flag: '--storage-url',
    default: null as string | null,
    parse: storageUrl,
    description:
      "Where uploads and waveform peaks are kept. Unset: `<data-dir>` on this machine's disk (or `file:///DIR`). A fleet of nodes without a shared disk needs `s3://BUCKET[/PREFIX]`: an S3-compatible object store (AWS S3, MinIO, Garage, Ceph RGW, Cloudflare R2) that every node reads and writes, with credentials from the standard AWS variables and chain (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, profiles, instance roles).",
  }),
  s3Endpoint: setting({
    env: 'EARSHOT_S3_ENDPOINT',
    flag: '--s3-endpoint',
    default: null as string | null,
    parse: optional,
    description:
      'URL of a non-AWS S3-compatible server for `s3://` storage, e.g. `http://minio:9000`, addressed path-style (region `AWS_REGION`, else `us-east-1`). Unset: AWS S3.',
  }),
  databaseUrl: setting({
    env: 'DATABASE_URL',
    flag: '--database-url',
    default: null as string | null,
    parse: optional,
    secret: true,
    description: 'PostgreSQL connection string. Unset: embedded PostgreSQL (PGlite) in `<data-dir>/db`.',
  }),
  dbPoolMax: setting({
    env: 'EARSHOT_DB_POOL_MAX',
    flag: '--db-pool-max',
    default: 10,
    parse: int,
    description:
      "PostgreSQL connections this process opens at most. A fleet needs nodes × this (plus the CLI and other clients) within the server's `max_connections` (100 by default).",
  }),
  apiKey: setting({
    env: 'EARSHOT_API_KEY',
    flag: '--api-key',
    default: null as string | null,
    parse: optional,
    secret: true,
    description: `An API key to accept (created on start if missing; at least ${MIN_SERVER_KEY_LENGTH} characters, or the server refuses to start). Unset and no keys stored: a key is generated and printed once.`,
  }),
  engine: setting({
    env: 'EARSHOT_ENGINE',
    flag: '--engine',
    default: 'auto',
    parse: str,
    description:
      '`auto`, `pocketsphinx`, `whisper` or `sherpa`. `auto` picks the sherpa-onnx model when it is present, else whisper when its model is, else pocketsphinx.',
  }),
  sherpaModel: setting({
    env: 'EARSHOT_SHERPA_MODEL',
    flag: '--sherpa-model',
    default: 'nemo-parakeet-tdt-0.6b-v2-int8' as string | null,
    parse: optional,
    description:
      'Offline sherpa-onnx model for batch jobs (`OfflineRecognizer`): a catalogue name (`earshot models pull nemo-parakeet-tdt-0.6b-v2-int8`), an unpacked release directory (NeMo Parakeet TDT, zipformer transducer, Moonshine, Whisper ONNX) or a single-file model (.onnx: NeMo CTC, SenseVoice) with its tokens. Not installed, or empty: not used.',
  }),
  whisperModel: setting({
    env: 'EARSHOT_WHISPER_MODEL',
    flag: '--whisper-model',
    default: 'base.en',
    parse: str,
    description: 'Catalogue name of the whisper model to use (see `earshot models list`).',
  }),
  concurrency: setting({
    env: 'EARSHOT_CONCURRENCY',
    flag: '--concurrency',
    default: os.availableParallelism(),
    defaultLabel: 'number of CPU cores',
    parse: int,
    description: 'Transcription jobs run at once by this process.',
  }),
  workers: setting({
    env: 'EARSHOT_WORKERS',
    flag: '--workers',
    default: true,
    parse: bool,
    description: 'Run transcription workers in this process. `false` makes an API-only node of a fleet.',
  }),
  maxUploadBytes: setting({
    env: 'EARSHOT_MAX_UPLOAD_BYTES',
    flag: '--max-upload-bytes',
    default: 2_200_000_000,
    parse: int,
    description: 'Largest accepted `/v2/upload` body.',
  }),
  maxJsonBytes: setting({
    env: 'EARSHOT_MAX_JSON_BYTES',
    flag: '--max-json-bytes',
    default: 1_048_576,
    parse: int,
    description: 'Largest accepted JSON request body.',
  }),
  uploadTtlHours: setting({
    env: 'EARSHOT_UPLOAD_TTL_HOURS',
    flag: '--upload-ttl-hours',
    default: 24,
    parse: num,
    description: 'Uploads not used by a transcript are deleted after this long.',
  }),
  publicMode: setting({
    env: 'EARSHOT_PUBLIC',
    flag: '--public',
    default: false,
    parse: bool,
    description:
      'Refuse `audio_url` and `webhook_url` targets in loopback, private, link-local and metadata address ranges (for servers reachable by untrusted clients).',
  }),
  downloadMaxBytes: setting({
    env: 'EARSHOT_DOWNLOAD_MAX_BYTES',
    flag: '--download-max-bytes',
    default: 5_000_000_000,
    parse: int,
    description: 'Largest `audio_url` file fetched.',
  }),
  downloadTimeoutMs: setting({
    env: 'EARSHOT_DOWNLOAD_TIMEOUT_MS',
    flag: '--download-timeout-ms',
    default: 600_000,
    parse: int,
    description: 'Time limit for fetching an `audio_url`, redirects and body included.',
  }),
  downloadConnectTimeoutMs: setting({
    env: 'EARSHOT_DOWNLOAD_CONNECT_TIMEOUT_MS',
    flag: '--download-connect-timeout-ms',
    default: 10_000,
    parse: int,
    description: 'Time limit for the TCP connection of each hop of an `audio_url` download.',
  }),
  downloadHeadersTimeoutMs: setting({
    env: 'EARSHOT_DOWNLOAD_HEADERS_TIMEOUT_MS',
    flag: '--download-headers-timeout-ms',
    default: 30_000,
    parse: int,
    description: 'Time limit from connecting to the response headers, for each hop of an `audio_url` download (TLS handshake included).',
  }),
  downloadIdleTimeoutMs: setting({
    env: 'EARSHOT_DOWNLOAD_IDLE_TIMEOUT_MS',
    flag: '--download-idle-timeout-ms',
    default: 30_000,
    parse: int,
    description: 'Longest silence while an `audio_url` body streams before the download is given up.',
  }),
  downloadMaxRedirects: setting({
    env: 'EARSHOT_DOWNLOAD_MAX_REDIRECTS',
    flag: '--download-max-redirects',
    default: 5,
    parse: int,
    description: 'Redirects followed when fetching an `audio_url`.',
  }),
  webhookTimeoutMs: setting({
    env: 'EARSHOT_WEBHOOK_TIMEOUT_MS',
    flag: '--webhook-timeout-ms',
    default: 10_000,
    parse: int,
    description: 'A webhook receiver must answer within this time.',
  }),
  webhookMaxAttempts: setting({
    env: 'EARSHOT_WEBHOOK_MAX_ATTEMPTS',
    flag: '--webhook-max-attempts',
    default: 10,
    parse: int,
    description: 'Webhook deliveries tried in all (a 4xx answer stops at once).',
  }),
  webhookRetrySeconds: setting({
    env: 'EARSHOT_WEBHOOK_RETRY_SECONDS',
    flag: '--webhook-retry-seconds',
    default: 10,
    parse: num,
    description: 'Pause between webhook attempts.',
  }),
  queuePollSeconds: setting({
    env: 'EARSHOT_QUEUE_POLL_SECONDS',
    flag: '--queue-poll-seconds',
    default: 1,
    parse: num,
    description: 'How often idle workers look for new jobs.',
  }),
  jobLeaseSeconds: setting({
    env: 'EARSHOT_JOB_LEASE_SECONDS',
    flag: '--job-lease-seconds',
    default: 30,
    parse: int,
    description: 'A running job whose worker has not renewed its lease for this long is re-queued (crash recovery on a fleet).',
  }),
  jobMaxAttempts: setting({
    env: 'EARSHOT_JOB_MAX_ATTEMPTS',
    flag: '--job-max-attempts',
    default: 3,
    parse: int,
    description:
      'A transcription whose worker died (killed process, lost machine) this many times ends with `status: "error"` instead of being re-queued again. A graceful shutdown hands its jobs back without counting.',
  }),
  downloadConcurrency: setting({
    env: 'EARSHOT_DOWNLOAD_CONCURRENCY',
    flag: '--download-concurrency',
    default: 4,
    parse: int,
    description:
      '`audio_url` downloads this process runs at once, apart from the transcription slots (`EARSHOT_CONCURRENCY`): a slow or hanging URL never holds a slot that a ready job could use.',
  }),
  shutdownGraceSeconds: setting({
    env: 'EARSHOT_SHUTDOWN_GRACE_SECONDS',
    flag: '--shutdown-grace-seconds',
    default: 25,
    parse: num,
    description:
      'On SIGTERM/SIGINT the process exits within this time: running jobs may finish meanwhile, and those still running a second before it are handed back to the queue (not counted as an attempt), where another node or the next start picks them up at once.',
  }),
  streamingMaxSessions: setting({
    env: 'EARSHOT_STREAMING_MAX_SESSIONS',
    flag: '--streaming-max-sessions',
    default: 20,
    parse: int,
    description:
      'Live streaming sessions the whole fleet accepts at once (counted in the database, across every node on it); one more is closed with 3009 (v3) / 4102 (v2), and its temporary token stays usable.',
  }),
  streamingMaxSessionSeconds: setting({
    env: 'EARSHOT_STREAMING_MAX_SESSION_SECONDS',
    flag: '--streaming-max-session-seconds',
    default: 10_800,
    parse: int,
    description: 'Longest streaming session (a temporary token may set less), then closed with 3008 / 4008.',
  }),
  streamingPaceToleranceMs: setting({
    env: 'EARSHOT_STREAMING_PACE_TOLERANCE_MS',
    flag: '--streaming-pace-tolerance-ms',
    default: 10_000,
    parse: int,
    description:
      "How far a client's audio may run ahead of real time (bursts after a network stall) before the session is closed with 3007 / 4029.",
  }),
  streamingSpeakerThreshold: setting({
    env: 'EARSHOT_STREAMING_SPEAKER_THRESHOLD',
    flag: '--streaming-speaker-threshold',
    default: 0.6,
    parse: fraction,
    description:
      "Live speaker labels (v3 `speaker_labels`): the cosine similarity (0..1) at which a turn's voice embedding joins a speaker already heard; below it, a new speaker. 0.6 is sherpa-onnx's speaker identification example's value for real embedding models; higher finds more speakers.",
  }),
  streamingAllowFast: setting({
    env: 'EARSHOT_STREAMING_ALLOW_FAST',
    flag: '--streaming-allow-fast',
    default: false,
    parse: bool,
    description: 'Accept streaming audio faster than real time (batch use, tests).',
  }),
  streamingThreads: setting({
    env: 'EARSHOT_STREAMING_THREADS',
    flag: '--streaming-threads',
    default: os.availableParallelism(),
    defaultLabel: 'number of CPU cores',
    parse: int,
    description: 'Worker threads decoding live sessions.',
  }),
  streamingIdleSeconds: setting({
    env: 'EARSHOT_STREAMING_IDLE_SECONDS',
    flag: '--streaming-idle-seconds',
    default: 60,
    parse: int,
    description: 'A session that sends no audio for this long is closed (v2: 4031; v3 uses `inactivity_timeout` when given).',
  }),
  streamingModel: setting({
    env: 'EARSHOT_STREAMING_MODEL',
    flag: '--streaming-model',
    default: null as string | null,
    parse: optional,
    description:
      "Neural streaming model (sherpa-onnx `OnlineRecognizer`) for live sessions: a catalogue name (`earshot models pull streaming-zipformer-en-2023-06-26`), an unpacked streaming zipformer transducer directory (encoder, decoder, joiner, tokens.txt) or a T-one CTC .onnx file with its tokens. Its endpointing joins the VAD's turn detection. Unset, or not installed: pocketsphinx.",
  }),
  vadModel: setting({
    env: 'EARSHOT_VAD_MODEL',
    flag: '--vad-model',
    default: 'silero-vad' as string | null,
    parse: optional,
    description:
      'Voice activity detector that times the silence ending a streaming turn (and applies `vad_threshold`): a catalogue name (`earshot models pull silero-vad`) or a path to a Silero VAD v5/v6 .onnx file. Not installed, or empty: an energy detector.',
  }),
  diarizationSegmentationModel: setting({
    env: 'EARSHOT_DIARIZATION_SEGMENTATION_MODEL',
    flag: '--diarization-segmentation-model',
    default: 'pyannote-segmentation-3.0' as string | null,
    parse: optional,
    description:
      "Speaker segmentation model for `speaker_labels` (pyannote segmentation-3.0's ONNX interface, run by sherpa-onnx): a catalogue name (`earshot models pull pyannote-segmentation-3.0`) or a path to an .onnx file. Not installed, or empty: `speaker_labels` is refused with a 400 that says how to install it.",
  }),
  diarizationEmbeddingModel: setting({
    env: 'EARSHOT_DIARIZATION_EMBEDDING_MODEL',
    flag: '--diarization-embedding-model',
    default: 'wespeaker-voxceleb-resnet34-lm' as string | null,
    parse: optional,
    description:
      'Speaker embedding model for `speaker_labels` (a sherpa-onnx speaker-embedding extractor: WeSpeaker, 3D-Speaker, NeMo): a catalogue name (`earshot models pull wespeaker-voxceleb-resnet34-lm`) or a path to an .onnx file. Not installed, or empty: `speaker_labels` is refused with a 400 that says how to install it.',
  }),
  languageIdModel: setting({
    env: 'EARSHOT_LANGUAGE_ID_MODEL',
    flag: '--language-id-model',
    default: 'whisper-tiny' as string | null,
    parse: optional,
    description:
      "Spoken language identification for `language_detection`: a multilingual Whisper model in sherpa-onnx's ONNX export, as a catalogue name (`earshot models pull whisper-tiny`) or an unpacked `sherpa-onnx-whisper-*` directory (encoder and decoder .onnx files). It decides from the first 30 s, as Whisper does. Not installed, or empty: `language_detection` is refused with a 400 that says how to install it.",
  }),
  llmModel: setting({
    env: 'EARSHOT_LLM_MODEL',
    flag: '--llm-model',
    default: 'qwen2.5-1.5b-instruct' as string | null,
    parse: optional,
    description:
      'Instruct model for LeMUR and the LLM Gateway on the embedded llama.cpp backend: a catalogue name (`earshot models pull <name>`) or a path to a .gguf file. Not installed, or empty: LeMUR answers 503 saying how to set one up.',
  }),
  llmUrl: setting({
    env: 'EARSHOT_LLM_URL',
    flag: '--llm-url',
    default: null as string | null,
    parse: optional,
    description:
      "Base URL of an OpenAI-compatible server to use instead of the embedded model (Ollama `http://127.0.0.1:11434/v1`, vLLM, llama.cpp's server, OpenAI, another Earshot's `/v1`).",
  }),
  llmApiKey: setting({
    env: 'EARSHOT_LLM_API_KEY',
    flag: '--llm-api-key',
    default: null as string | null,
    parse: optional,
    secret: true,
    description: 'Bearer token sent to `EARSHOT_LLM_URL`.',
  }),
  llmRemoteModels: setting({
    env: 'EARSHOT_LLM_REMOTE_MODELS',
    flag: '--llm-remote-models',
    default: null as string | null,
    parse: optional,
    description:
      "Comma-separated models of `EARSHOT_LLM_URL` that clients may choose; the first is the default. Unset: the server's `GET /models` list.",
  }),
  llmContextTokens: setting({
    env: 'EARSHOT_LLM_CONTEXT_TOKENS',
    flag: '--llm-context-tokens',
    default: 0,
    parse: int,
    description:
      "Context window (prompt plus answer) in tokens; longer LeMUR input is split into parts (summary, Q&A, action items) or refused (task). 0: as much of the embedded model's trained context as fits in memory; for `EARSHOT_LLM_URL`, what its `/models` reports, else 100000.",
  }),
  llmThreads: setting({
    env: 'EARSHOT_LLM_THREADS',
    flag: '--llm-threads',
    default: 0,
    parse: int,
    description: 'CPU threads of the embedded model; 0: all cores. Fewer can be faster on a machine busy with transcription.',
  }),
  llmTimeoutMs: setting({
    env: 'EARSHOT_LLM_TIMEOUT_MS',
    flag: '--llm-timeout-ms',
    default: 600_000,
    parse: int,
    description:
      'Time limit for one LLM request: to `EARSHOT_LLM_URL`, or on the embedded model once it starts (waiting behind other requests does not count). Past it, LeMUR and the LLM Gateway answer 504.',
  }),
  llmModelAliases: setting({
    env: 'EARSHOT_LLM_MODEL_ALIASES',
    flag: '--llm-model-aliases',
    default: [{ pattern: '*', model: null }] as ModelAlias[],
    defaultLabel: '`*`',
    parse: modelAliases,
    description:
      "LLM Gateway model ids (upstream's `claude-sonnet-4-5-20250929`, `gpt-4.1`, `gemini-2.5-flash`, …) and the local model that answers each: " +
      'comma-separated `id=model`, `prefix*=model` (`claude-*=qwen2.5-3b-instruct`), a bare id or `*` for the default model. An exact id wins over ' +
      'a prefix, a longer prefix over a shorter one. Names of local models always select themselves. Empty: any other id gets a 400.',
  }),
  llmRateLimit: setting({
    env: 'EARSHOT_LLM_RATE_LIMIT',
    flag: '--llm-rate-limit',
    default: 60,
    parse: int,
    description:
      'LeMUR and LLM Gateway requests per project per minute, across the whole fleet (reported in `X-RateLimit-*` headers; more get 429). 0: no limit.',
  }),
  statusTitle: setting({
    env: 'EARSHOT_STATUS_TITLE',
    flag: '--status-title',
    default: 'Earshot',
    parse: str,
    description: 'Name of the status page (`/status`, `/api/v2/*.json`, alerts).',
  }),
  statusProbeSeconds: setting({
    env: 'EARSHOT_STATUS_PROBE_SECONDS',
    flag: '--status-probe-seconds',
    default: 300,
    parse: num,
    description:
      'How often every component is probed (a real transcription, a streaming session, an LLM generation, database and queue checks). One node of a fleet probes each round. 0: this process never probes.',
  }),
  statusFirstProbeSeconds: setting({
    env: 'EARSHOT_STATUS_FIRST_PROBE_SECONDS',
    flag: '--status-first-probe-seconds',
    default: 30,
    parse: num,
    description:
      'When no node has probed within the last interval (a fresh install, a fleet that was down), the first round comes this many seconds after start instead of a whole interval later.',
  }),
  statusProbeTimeoutSeconds: setting({
    env: 'EARSHOT_STATUS_PROBE_TIMEOUT_SECONDS',
    flag: '--status-probe-timeout-seconds',
    default: 120,
    parse: num,
    description:
      'A probe with no answer after this long is a failure (the transcription probe waits behind user jobs, and only fails if no user job completes meanwhile either).',
  }),
  statusSlowMs: setting({
    env: 'EARSHOT_STATUS_SLOW_MS',
    flag: '--status-slow-ms',
    default: 'transcription=30000,streaming=10000,lemur=30000,storage=250,queue=300000',
    parse: str,
    description:
      'Per component, the probe latency (ms) above which it counts as `degraded_performance`; for `queue`, the age of the oldest waiting user job.',
  }),
  statusFailureThreshold: setting({
    env: 'EARSHOT_STATUS_FAILURE_THRESHOLD',
    flag: '--status-failure-threshold',
    default: 2,
    parse: int,
    description: "Consecutive worse probes before a component's status worsens (and an incident opens).",
  }),
  statusSuccessThreshold: setting({
    env: 'EARSHOT_STATUS_SUCCESS_THRESHOLD',
    flag: '--status-success-threshold',
    default: 2,
    parse: int,
    description: "Consecutive better probes before a component's status improves (and its incident resolves).",
  }),
  statusRetentionDays: setting({
    env: 'EARSHOT_STATUS_RETENTION_DAYS',
    flag: '--status-retention-days',
    default: 90,
    parse: num,
    description: 'Probe results and uptime history are kept this long.',
  }),
  statusUpstreams: setting({
    env: 'EARSHOT_STATUS_UPSTREAMS',
    flag: '--status-upstreams',
    default: 'AssemblyAI=https://status.assemblyai.com',
    parse: str,
    description:
      "Statuspage-powered services to watch, `Name=URL` comma-separated; they show (and alert) beside the local components but not in this server's own status. A service never reached (an offline machine) is not shown. Empty: none.",
  }),
  statusUpstreamSeconds: setting({
    env: 'EARSHOT_STATUS_UPSTREAM_SECONDS',
    flag: '--status-upstream-seconds',
    default: 300,
    parse: num,
    description: 'How often upstream status pages are polled. 0: never.',
  }),
  statusAlertAttempts: setting({
    env: 'EARSHOT_STATUS_ALERT_ATTEMPTS',
    flag: '--status-alert-attempts',
    default: 5,
    parse: int,
    description: 'Tries per alert (email or webhook) before it is given up; every try is in the send log.',
  }),
  statusAlertRetrySeconds: setting({
    env: 'EARSHOT_STATUS_ALERT_RETRY_SECONDS',
    flag: '--status-alert-retry-seconds',
    default: 30,
    parse: num,
    description: 'Pause before the second try of an alert, doubled for each later one.',
  }),
  smtpUrl: setting({
    env: 'EARSHOT_SMTP_URL',
    flag: '--smtp-url',
    default: null as string | null,
    parse: optional,
    secret: true,
    description:
      'SMTP server for status emails, e.g. `smtps://user:password@smtp.example.com:465` or `smtp://127.0.0.1:25` (nodemailer connection URL). Unset: email subscriptions are refused; webhooks still work.',
  }),
  smtpFrom: setting({
    env: 'EARSHOT_SMTP_FROM',
    flag: '--smtp-from',
    default: null as string | null,
    parse: optional,
    description: 'From address of status emails. Unset: `Earshot status <status@HOSTNAME>`.',
  }),
  logLevel: setting({
    env: 'EARSHOT_LOG_LEVEL',
    flag: '--log-level',
    default: 'info',
    parse: str,
    description: '`fatal`, `error`, `warn`, `info`, `debug` or `trace`.',
  }),
  logFormat: setting({
    env: 'EARSHOT_LOG_FORMAT',
    flag: '--log-format',
    default: 'auto' as 'auto' | 'pretty' | 'json',
    parse: oneOf('auto', 'pretty', 'json'),
    description:
      'Logs on stderr as `json` (one object a line) or `pretty` (readable lines). `auto`: pretty when stdout and stderr are a terminal, else JSON.',
  }),
  logRequests: setting({
    env: 'EARSHOT_LOG_REQUESTS',
    flag: '--log-requests',
    default: false,
    parse: bool,
    description: 'Log every HTTP request at `info`. Otherwise requests are logged at `debug` (errors always).',
  }),
} as const;

type Settings = typeof settings;
export type Config = { [K in keyof Settings]: Settings[K]['default'] };
export type ConfigKey = keyof Settings;

/** Environment first, then CLI flag values (already parsed into strings by commander), then defaults. */
export function loadConfig(flags: Partial<Record<ConfigKey, string | boolean>> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(settings) as [ConfigKey, Setting<unknown>][]) {
    const flag = flags[key];
    const raw = flag !== undefined ? String(flag) : env[s.env];
    try {
      out[key] = raw === undefined ? s.default : s.parse(raw);
    } catch (err) {
      throw new Error(`Invalid ${s.env} / ${s.flag}: ${(err as Error).message}`);
    }
  }
  return out as Config;
}

/** The effective configuration as `earshot serve --print-config` shows it: secrets that are set read `[redacted]`. */
export function printableConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(settings) as [ConfigKey, Setting<unknown>][]) {
    out[key] = s.secret && config[key] !== null ? '[redacted]' : config[key];
  }
  return out;
}

/** Refuses settings a server must not start with (a client command may still use a short key of another server). */
export function assertServable(config: Config): void {
  if (config.apiKey !== null && config.apiKey.length < MIN_SERVER_KEY_LENGTH) {
    throw new Error(
      `EARSHOT_API_KEY / --api-key is ${config.apiKey.length} characters; a server key needs at least ${MIN_SERVER_KEY_LENGTH}, ` +
        'as a short one is easy to guess. Unset it to have a strong key generated, or make one with `openssl rand -hex 16`.',
    );
  }
}

/** The configuration table in Markdown, as docs/configuration.md shows it. */
export function configTableMarkdown(): string {
  const rows = Object.values(settings).map((s: Setting<unknown>) => {
    const def = s.defaultLabel ?? (s.default === null ? '(unset)' : String(s.default));
    return `| \`${s.env}\` | \`${s.flag}\` | ${def} | ${s.description} |`;
  });
  return ['| Variable | Flag | Default | Meaning |', '|---|---|---|---|', ...rows].join('\n');
}
