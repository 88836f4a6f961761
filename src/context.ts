import type { StreamingHub } from './streaming/hub.js';
import type { Config } from './config.js';
import type { Db } from './db/index.js';
import type { Logger } from './log.js';
import type { Queue } from './queue/index.js';
import type { Authenticator } from './http/auth.js';
import type { PeaksStore } from './storage/peaks.js';
import type { UploadStore } from './storage/uploads.js';
import type { TranscriptCache } from './http/transcript-cache.js';
import type { EngineChoice } from './engines/choice.js';
import type { Llm } from './lemur/service.js';
import type { StatusPage } from './status/types.js';

/** Everything a route or job needs, built once by `server.ts`. */
export interface AppContext {
  config: Config;
  db: Db;
  log: Logger;
  queue: Queue;
  auth: Authenticator;
  uploads: UploadStore;
  /** Waveform peaks, in the same blob store as the uploads. */
  peaks: PeaksStore;
  transcripts: TranscriptCache;
  engine: EngineChoice;
  streaming: StreamingHub;
  /** The LLM behind LeMUR and the LLM Gateway (possibly none: those answer 503). */
  llm: Llm;
  /** The status page: probes, incidents, alerts. */
  status: StatusPage;
}
