import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { settings, type Config } from './config.js';
import type { AppContext } from './context.js';
import { openDb, type Db } from './db/index.js';
import { migrate } from './db/migrations.js';
import { chooseEngine } from './engines/index.js';
import { Authenticator } from './http/auth.js';
import { TranscriptCache } from './http/transcript-cache.js';
import { createLogger, type Logger } from './log.js';
import { EnginePool } from './pipeline/engine-pool.js';
import { reapLostJobs, removeOrphanBlobs, removeStaleDownloads, runMaintenance } from './pipeline/maintenance.js';
import { Transcriber } from './pipeline/transcribe.js';
import { deliverWebhook } from './pipeline/webhook.js';
import { QUEUES, Queue, type QueueJob, type TranscribeJob, type WebhookJob } from './queue/index.js';
import { countActiveKeys, createKey } from './storage/keys.js';
import { openBlobStore } from './storage/open-blobs.js';
import { PeaksStore } from './storage/peaks.js';
import { UploadStore } from './storage/uploads.js';
import { StreamingHub } from './streaming/hub.js';
import { Llm } from './lemur/service.js';
import { StatusService } from './status/service.js';
import { loadTls, type TlsSetup } from './tls/load.js';

export interface RunningServer {
  app: FastifyInstance;
  /** The same routes on the same context, served over HTTPS (null when TLS is off). */
  tlsApp: FastifyInstance | null;
  ctx: AppContext;
  /** e.g. http://127.0.0.1:8976 */
  url: string;
  /** e.g. https://127.0.0.1:8977, or null when TLS is off. */
  tlsUrl: string | null;
  /** The certificate served on `tlsUrl`. */
  tls: TlsSetup | null;
  /** A key generated on this start (first start with no keys), to print once. */
  createdKey: string | null;
  close(): Promise<void>;
}

/** Makes sure at least one key exists: the configured one, or a generated one on first start. */
async function bootstrapKey(db: Db, config: Config): Promise<string | null> {
  if (config.apiKey) {
    await createKey(db, { key: config.apiKey, name: 'EARSHOT_API_KEY' });
    return null;
  }
  if ((await countActiveKeys(db)) > 0) return null;
  return (await createKey(db, { name: 'first key' })).key;
}

/** A pause that does not hold the process open. */
const sleep = (ms: number) => delay(ms, undefined, { ref: false });

/** The address Fastify reports, as a URL to show (IPv6 loopback and any-address: localhost, which the self-signed certificate covers). */
const shownUrl = (address: string) => address.replace(/\[::1?\]/, 'localhost');

/** Opens storage, migrates, starts the queue and workers, and listens. */
export async function startServer(
  config: Config,
  log: Logger = createLogger(config.logLevel, undefined, config.logFormat),
): Promise<RunningServer> {
  // First, so a bad TLS setting stops the start before anything is opened.
  const tls = await loadTls(config);
  if (tls && tls.notAfter.getTime() < Date.now())
    log.warn({ certPath: tls.certPath, notAfter: tls.notAfter }, 'the TLS certificate has expired');
  const db = await openDb(config);
  // Fleet nodes starting at once take turns here: migrations, pg-boss's schema and the first key are made once.
  const { createdKey, queue } = await db.exclusively(async () => {
    await migrate(db);
    return { createdKey: await bootstrapKey(db, config), queue: await Queue.start(db, config, log) };
  });
  const engine = await chooseEngine(config, log);
  const blobs = await openBlobStore(config);
  const ctx: AppContext = {
    config,
    db,
    log,
    queue,
    engine,
    auth: new Authenticator(db),
    uploads: new UploadStore(db, blobs, config.uploadTtlHours),
    peaks: new PeaksStore(blobs),
    transcripts: new TranscriptCache(db),
    streaming: new StreamingHub(config.streamingThreads, config, db, log),
    // An embedded model loads in the background; requests wait for it.
    llm: await Llm.fromConfig(config, log),
    status: await StatusService.create(config, db, log),
  };

  const pool = new EnginePool(engine, config.concurrency, log);
  const transcriber = new Transcriber(ctx, pool);
  const timers: NodeJS.Timeout[] = [];
  if (config.workers) {
    // With the embedded database this process is the only worker, so anything still "processing" was cut off by a crash.
    if (db.kind === 'pglite')
      await db.query("update transcripts set lease_expires_at = now() - interval '1 second' where status = 'processing'");
    await reapLostJobs(ctx);
    await removeStaleDownloads(ctx);
    const run = (job: QueueJob<TranscribeJob>) => transcriber.run(job);
    // Jobs with audio on disk get the engine slots; downloads run on workers of their own and take a slot once downloaded.
    await queue.work<TranscribeJob>(QUEUES.transcribe, config.concurrency, run);
    await queue.work<TranscribeJob>(QUEUES.transcribeUrl, config.downloadConcurrency, run);
    await queue.work<WebhookJob>(QUEUES.webhook, 4, (job) => deliverWebhook(ctx, job));
    await queue.work(QUEUES.maintenance, 1, () => runMaintenance(ctx));
    await queue.every(QUEUES.maintenance, '*/10 * * * *');
    await runMaintenance(ctx);
    const reaper = setInterval(
      () => {
        reapLostJobs(ctx, (id) => transcriber.isRunning(id)).catch((err) => log.error({ err }, 'orphan check failed'));
      },
      Math.max(1000, (config.jobLeaseSeconds * 1000) / 2),
    );
    timers.push(reaper);
  }
  if (!blobs.shared) {
    // Only this node can reach its disk, API-only or not; a shared store is swept by the scheduled maintenance.
    const sweep = () => removeOrphanBlobs(ctx).catch((err: unknown) => log.error({ err }, 'blob clean-up failed'));
    void sweep();
    timers.push(setInterval(sweep, 10 * 60_000));
  }

  // One Fastify instance per listener, both built by buildApp on the one context: everything an app
  // registers (WebSocket routes too, which hook their own server's upgrades) is served on both.
  const app = await buildApp(ctx);
  const tlsApp = tls ? await buildApp(ctx, { https: { cert: tls.cert, key: tls.key } }) : null;

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      // Everything below ends a second before the grace is up (the exit itself waits for engine threads to stop):
      // running jobs may finish until a second before that, then are handed back.
      const deadline = Date.now() + config.shutdownGraceSeconds * 1000 - 1000;
      const left = () => Math.max(0, deadline - Date.now());
      for (const t of timers) clearInterval(t);
      const handBack = setTimeout(() => transcriber.handBack(), Math.max(0, left() - 1000));
      // Probes first: they use the listeners, the queue and the database.
      await Promise.race([ctx.status.stop(), sleep(left())]);
      await Promise.race([Promise.all([app.close(), tlsApp?.close()]), sleep(left())]);
      await queue.stop(Math.max(0, left() - 500));
      clearTimeout(handBack);
      transcriber.handBack();
      await transcriber.idle(left());
      // An engine thread stops only once its native call returns (seconds, mid-utterance): the database is closed
      // meanwhile, and the process exits at the deadline whether or not the thread has stopped.
      const engines = pool.close();
      await ctx.streaming.close();
      await ctx.llm.close();
      await db.close();
      await Promise.race([engines, sleep(left())]);
    })());

  let url = '';
  let tlsUrl: string | null = null;
  try {
    url = shownUrl(await app.listen({ host: config.host, port: config.port }));
    if (tlsApp) tlsUrl = shownUrl(await tlsApp.listen({ host: config.host, port: config.tlsPort }));
  } catch (err) {
    // A port taken: release what was opened so the process can exit with the reason.
    await close().catch((closeErr: unknown) => log.error({ err: closeErr }, 'shutdown failed'));
    const setting = url ? settings.tlsPort : settings.port;
    throw new Error(`${setting.env} / ${setting.flag}: ${(err as Error).message}`, { cause: err });
  }

  // The status page keeps serving if probing cannot start; the reason is logged.
  await ctx.status
    .start({ db, queue, engine, llm: ctx.llm, blobs }, url)
    .catch((err: unknown) => log.error({ err }, 'status probes not started'));

  return { app, tlsApp, ctx, url, tlsUrl, tls, createdKey, close };
}
