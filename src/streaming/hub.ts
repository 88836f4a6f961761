import { randomUUID } from 'node:crypto';
import { isConnectionLoss, type Db } from '../db/index.js';
import type { Logger } from '../log.js';
import {
  claimStreamingSession,
  heartbeatStreamingSessions,
  recordStreamingSession,
  releaseInstanceStreamingSessions,
  releaseStreamingSession,
  SESSION_TTL_SECONDS,
} from '../storage/streaming-sessions.js';
import { DecoderPool } from './decoder-pool.js';
import type { SileroModel } from './silero-vad.js';
import { EnergyVad, findVadModel, type Vad } from './vad.js';

/**
 * What live sessions share in one process: decoder threads, the VAD model and this node's share of the fleet's
 * session count, which lives in the database (streaming_sessions) and is kept alive by a heartbeat.
 */
export class StreamingHub {
  readonly pool: DecoderPool;
  readonly active = new Set<string>();
  /** Sessions admitted while the database was away (id → project): counted in the fleet's table at the next beat. */
  private readonly unrecorded = new Map<string, string>();
  readonly instanceId = randomUUID();
  private silero: Promise<SileroModel | null> | null = null;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    threads: number,
    private readonly vad: { dataDir: string; vadModel: string | null; streamingModel?: string | null },
    private readonly db: Db,
    private readonly log: Logger,
  ) {
    this.pool = new DecoderPool(threads, log, { streamingModel: vad.streamingModel ?? null, dataDir: vad.dataDir });
    this.heartbeat = setInterval(
      () => {
        if (this.active.size === 0) return;
        this.beat().catch((err: unknown) => log.warn({ err }, 'streaming session heartbeat failed'));
      },
      (SESSION_TTL_SECONDS * 1000) / 3,
    );
    this.heartbeat.unref();
  }

  /**
   * Counts the session against the fleet's limit; false when the fleet is full. A live session needs the
   * database for nothing else, so while it cannot be reached this node admits up to the limit on its own
   * count (the fleet's total cannot be known) and records those sessions once it is back.
   */
  async claim(sessionId: string, projectId: string, max: number): Promise<boolean> {
    try {
      if (!(await claimStreamingSession(this.db, { id: sessionId, instanceId: this.instanceId, projectId, max }))) return false;
    } catch (err) {
      if (!isConnectionLoss(err) || this.active.size >= max) throw err;
      this.log.warn({ session: sessionId }, 'database unreachable: streaming session admitted on this node’s own count');
      this.unrecorded.set(sessionId, projectId);
    }
    this.active.add(sessionId);
    return true;
  }

  private async beat(): Promise<void> {
    for (const [id, projectId] of this.unrecorded) {
      await recordStreamingSession(this.db, { id, instanceId: this.instanceId, projectId });
      this.unrecorded.delete(id);
    }
    await heartbeatStreamingSessions(this.db, this.instanceId);
  }

  release(sessionId: string): void {
    if (!this.active.delete(sessionId)) return;
    if (this.unrecorded.delete(sessionId)) return;
    releaseStreamingSession(this.db, sessionId).catch((err: unknown) => this.log.warn({ err }, 'could not release a streaming session'));
  }

  /** Silero when its model is installed, else the energy detector. The model loads with the first session. */
  async openVad(threshold: number): Promise<Vad> {
    this.silero ??= this.loadSilero();
    const model = await this.silero;
    return model ? model.open(threshold) : new EnergyVad(threshold);
  }

  private async loadSilero(): Promise<SileroModel | null> {
    const file = await findVadModel(this.vad);
    if (!file) {
      if (this.vad.vadModel)
        this.log.info(
          { model: this.vad.vadModel },
          'streaming VAD: energy detector (install Silero with `earshot models pull silero-vad`)',
        );
      return null;
    }
    try {
      // Loaded on demand: onnxruntime costs 15 MB of memory in a server that never streams.
      const { SileroModel } = await import('./silero-vad.js');
      const model = await SileroModel.load(file);
      this.log.info({ file }, 'streaming VAD: Silero');
      return model;
    } catch (err) {
      this.log.error({ err, file }, 'streaming VAD: Silero failed to load; using the energy detector');
      return null;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.active.clear();
    this.unrecorded.clear();
    await releaseInstanceStreamingSessions(this.db, this.instanceId).catch((err: unknown) =>
      this.log.warn({ err }, 'could not release streaming sessions'),
    );
    await this.pool.close();
    await (await this.silero)?.close();
  }
}
