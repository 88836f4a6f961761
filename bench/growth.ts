import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { request } from 'undici';
import { openDb, type Db } from '../src/db/index.js';
import { speechFile } from './audio.js';
import {
  failed,
  metric,
  peakDuring,
  scratchDatabase,
  withServer,
  type BenchContext,
  type Measurement,
  type Metric,
  type MetricSpec,
} from './measures.js';
import { launchServer, timeTranscript, uploadFile, type BenchServer } from './server.js';
import { mb, median, round } from './util.js';

/**
 * How each cost grows. Audio length: one transcription per length on a fresh embedded server, its time
 * and the server's peak RSS. Stored transcripts: a real transcript of a 60 s clip cloned into 1k and
 * 100k rows (plus one of ~17k words, the size that made /paragraphs take seconds), then the list, the
 * text search, word search, /paragraphs and the 17k-word GET timed on that database, and /health while
 * 50 connections list.
 */
/** EARSHOT_BENCH_GROWTH_MINUTES (e.g. `1,10,60`) leaves out the 3-hour file, about 40 minutes of decoding here. */
const AUDIO_MINUTES = {
  full: process.env.EARSHOT_BENCH_GROWTH_MINUTES?.split(',').map(Number) ?? [1, 10, 60, 180],
  quick: [1, 2],
};
const ROW_COUNTS = { full: [1_000, 100_000], quick: [100, 1_000] };
const BIG_WORDS = 17_000;
const TIMED_REQUESTS = 20;

const spec = (id: string, name: string, unit: string, op: MetricSpec['op'], target: number): MetricSpec => ({ id, name, unit, op, target });

const RTF_GROWTH = spec('growth_rtf', 'Transcription time per audio minute, longest file / 1-minute file (embedded)', '×', '<=', 1.2);
const RSS_GROWTH = spec('growth_rss', 'Server peak RSS, longest file − 1-minute file (embedded)', 'MB', '<=', 50);

const quick = (b: BenchContext) => b.sizes.runs === 1;

export const growthAudio: Measurement = {
  name: 'growth audio',
  metrics: [RTF_GROWTH, RSS_GROWTH],
  async run(b) {
    const rows: { minutes: number; seconds: number; rtf: number; peakRssMB: number; words: number }[] = [];
    let failure: unknown = null;
    for (const minutes of AUDIO_MINUTES[quick(b) ? 'quick' : 'full']) {
      try {
        const file = await speechFile(b.tmp, minutes * 60);
        const row = await withServer(b, `growth-${minutes}m`, {}, async (s) => {
          const url = await uploadFile(s, file);
          // As long as the audio itself: far beyond any RTF seen here, short of waiting for ever.
          const p = await peakDuring(s, () => timeTranscript(s, url, Math.max(30 * 60_000, minutes * 60_000)));
          const seconds = p.result.ms / 1000;
          return {
            minutes,
            seconds: round(seconds, 1),
            rtf: round(seconds / (minutes * 60), 3),
            peakRssMB: mb(p.peakBytes),
            words: p.result.words,
          };
        });
        rows.push(row);
        b.log(`  ${minutes} min: ${row.seconds} s (RTF ${row.rtf}), peak ${row.peakRssMB} MB, ${row.words} words`);
      } catch (err) {
        // The lengths measured so far still make a table; the one that failed says why.
        failure = err;
        b.log(`  ${minutes} min failed: ${(err as Error).message}`);
        break;
      }
    }
    if (rows.length < 2) return [failed(RTF_GROWTH, failure), failed(RSS_GROWTH, failure)];
    const first = rows[0]!;
    const last = rows.at(-1)!;
    const details = {
      note: 'one transcription per length, each on a fresh embedded server (LibriVox clips joined, status probes every 300 s as shipped); RTF = wall time POST → completed / audio length',
      table: rows.map((r) => `${r.minutes} min: ${r.seconds} s, RTF ${r.rtf}, peak RSS ${r.peakRssMB} MB, ${r.words} words`),
      ...(failure ? { failedAfter: `${last.minutes} min: ${(failure as Error).message}` } : {}),
    };
    return [
      metric(RTF_GROWTH, round(last.rtf / first.rtf, 2), details),
      metric(RSS_GROWTH, round(last.peakRssMB - first.peakRssMB, 1), details),
    ];
  },
};

// ─── stored transcripts ─────────────────────────────────────────────────────────────────────────

type Mode = 'pglite' | 'postgres';
const ROW_SPECS = (mode: Mode, rows: string) => {
  const suffix = ` with ${rows} transcripts stored (${mode === 'pglite' ? 'embedded' : 'PostgreSQL'})`;
  const id = (s: string) => `growth_${s}_${rows}_${mode}`;
  return {
    list: spec(id('list'), `GET /v2/transcript?limit=200, p50${suffix}`, 'ms', '<', 100),
    searchHit: spec(id('search_hit'), `GET /v2/transcript/search, a common word, p50${suffix}`, 'ms', '<', 200),
    searchMiss: spec(id('search_miss'), `GET /v2/transcript/search, a word in none, p50${suffix}`, 'ms', '<', 2000),
    health: spec(id('health'), `/health p99 while 50 connections list${suffix}`, 'ms', '<', 50),
  };
};
const BIG_SPECS = (mode: Mode) => {
  const suffix = ` (${BIG_WORDS.toLocaleString('en-US')} words, ${mode === 'pglite' ? 'embedded' : 'PostgreSQL'})`;
  return {
    get: spec(`growth_big_get_${mode}`, `GET /v2/transcript/{id}, p50${suffix}`, 'ms', '<', 200),
    paragraphs: spec(`growth_big_paragraphs_${mode}`, `GET /v2/transcript/{id}/paragraphs, p50${suffix}`, 'ms', '<', 200),
    wordSearch: spec(`growth_big_word_search_${mode}`, `GET /v2/transcript/{id}/word-search, p50${suffix}`, 'ms', '<', 200),
  };
};

async function timed(s: BenchServer, pathname: string): Promise<number> {
  const t0 = performance.now();
  const res = await request(new URL(pathname, s.url), { headers: { authorization: s.key } });
  await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${pathname} → ${res.statusCode}`);
  return performance.now() - t0;
}

/** The median of TIMED_REQUESTS sequential requests, or of as many as fit in 30 s (at least 3) when each is slow. */
async function p50(s: BenchServer, pathname: string): Promise<number> {
  const ms: number[] = [];
  await timed(s, pathname); // warm
  const until = performance.now() + 30_000;
  while (ms.length < TIMED_REQUESTS && (ms.length < 3 || performance.now() < until)) ms.push(await timed(s, pathname));
  return round(median(ms), 1);
}

/** /health, every 20 ms, while autocannon keeps 50 connections listing. */
async function healthUnderListLoad(s: BenchServer): Promise<{ p99: number; max: number; listRps: number }> {
  const load = autocannon({ url: `${s.url}/v2/transcript?limit=200`, connections: 50, duration: 10, headers: { authorization: s.key } });
  const ms: number[] = [];
  let done = false;
  void load.then(() => {
    done = true;
  });
  await new Promise((r) => setTimeout(r, 1000));
  while (!done) {
    ms.push(await timed(s, '/health'));
    await new Promise((r) => setTimeout(r, 20));
  }
  const r = await load;
  const sorted = ms.sort((a, b) => a - b);
  return {
    p99: round(sorted[Math.floor(sorted.length * 0.99)] ?? NaN, 1),
    max: round(sorted.at(-1) ?? NaN, 1),
    listRps: Math.round(r.requests.average),
  };
}

/** The seed row cloned until the project holds `total` transcripts, newest first. */
async function cloneTo(db: Db, seedId: string, total: number): Promise<void> {
  const { rows } = await db.query<{ n: number }>('select count(*)::int as n from transcripts');
  const more = total - rows[0]!.n;
  for (let done = 0; done < more; done += 10_000) {
    await db.query(
      `insert into transcripts
       select (jsonb_populate_record(t, jsonb_build_object('id', gen_random_uuid(), 'created_at', t.created_at - (g + $3) * interval '1 second'))).*
         from transcripts t, generate_series(1, $2::int) g where t.id = $1`,
      [seedId, Math.min(10_000, more - done), done],
    );
  }
}

/** A copy of the seed with its words repeated (shifted in time) to BIG_WORDS. */
async function addBig(db: Db, seedId: string): Promise<string> {
  const { rows } = await db.query<{
    result: { words: { start: number; end: number; text: string }[]; text: string; audio_duration: number };
  }>('select result from transcripts where id = $1', [seedId]);
  const seed = rows[0]!.result;
  const copies = Math.ceil(BIG_WORDS / seed.words.length);
  const span = seed.audio_duration * 1000;
  const words = Array.from({ length: copies }, (_, k) =>
    seed.words.map((w) => ({ ...w, start: w.start + k * span, end: w.end + k * span })),
  )
    .flat()
    .slice(0, BIG_WORDS);
  const result = { ...seed, words, text: words.map((w) => w.text).join(' '), audio_duration: Math.round((copies * span) / 1000) };
  const { rows: made } = await db.query<{ id: string }>(
    `insert into transcripts select (jsonb_populate_record(t, jsonb_build_object('id', gen_random_uuid(), 'result', $2::jsonb))).*
       from transcripts t where t.id = $1 returning id`,
    [seedId, JSON.stringify(result)],
  );
  return made[0]!.id;
}

async function rowsOn(b: BenchContext, mode: Mode): Promise<Metric[]> {
  const env: Record<string, string> = mode === 'postgres' ? { DATABASE_URL: await scratchDatabase(b) } : {};
  const counts = ROW_COUNTS[quick(b) ? 'quick' : 'full'];
  const out: Metric[] = [];
  // The seed: a real transcript of 60 s of speech, made by the server.
  const clip = await speechFile(b.tmp, 60);
  const seeded = await launchServer({ bin: b.bin, tmp: b.tmp, name: `growth-seed-${mode}`, env, cleanup: b.cleanup });
  // The database grows here between rounds; each round's server runs on a copy (a server's data dir goes with it).
  const master = path.join(b.tmp, `growth-master-${mode}`);
  b.cleanup.add(
    () => rmSync(master, { recursive: true, force: true }),
    () => rmSync(master, { recursive: true, force: true }),
  );
  let seedId: string;
  try {
    seedId = (await timeTranscript(seeded, await uploadFile(seeded, clip))).id;
  } finally {
    // Killed, then copied: what a crash leaves, which the embedded database recovers from on open.
    await seeded.kill();
    cpSync(seeded.dataDir, master, { recursive: true });
    await seeded.destroy();
  }
  let bigId = '';
  for (const count of counts) {
    const db = await openDb({ dataDir: master, databaseUrl: env.DATABASE_URL ?? null });
    try {
      await cloneTo(db, seedId, count);
      bigId ||= await addBig(db, seedId);
    } finally {
      await db.close();
    }
    const label = count.toLocaleString('en-US');
    const specs = ROW_SPECS(mode, count >= 1000 ? `${count / 1000}k` : String(count));
    const name = `growth-rows-${mode}-${count}`;
    // launchServer's data dir is <tmp>/<name>-data: the copy is in place before it starts.
    cpSync(master, path.join(b.tmp, `${name}-data`), { recursive: true });
    const s = await launchServer({ bin: b.bin, tmp: b.tmp, name, env, cleanup: b.cleanup });
    try {
      const common = 'the';
      out.push(metric(specs.list, await p50(s, '/v2/transcript?limit=200')));
      out.push(metric(specs.searchHit, await p50(s, `/v2/transcript/search?text=${common}`)));
      out.push(metric(specs.searchMiss, await p50(s, '/v2/transcript/search?text=zyzzyvas')));
      const h = await healthUnderListLoad(s);
      out.push(metric(specs.health, h.p99, { maxMs: h.max, listRequestsPerSecond: h.listRps }));
      if (count === counts.at(-1)) {
        const big = BIG_SPECS(mode);
        out.push(metric(big.get, await p50(s, `/v2/transcript/${bigId}`)));
        out.push(metric(big.paragraphs, await p50(s, `/v2/transcript/${bigId}/paragraphs`)));
        out.push(metric(big.wordSearch, await p50(s, `/v2/transcript/${bigId}/word-search?words=the,and,mister`)));
      }
      b.log(
        `  ${mode}, ${label} rows: ${out
          .slice(-7)
          .map((m) => `${m.id.replace(/^growth_/, '')} ${m.value}`)
          .join(', ')}`,
      );
    } finally {
      await s.destroy().catch(() => undefined);
    }
  }
  return out;
}

export const growthRows: Measurement = {
  name: 'growth rows',
  metrics: (['pglite', 'postgres'] as const).flatMap((mode) => [
    ...ROW_COUNTS.full.flatMap((n) => Object.values(ROW_SPECS(mode, `${n / 1000}k`))),
    ...Object.values(BIG_SPECS(mode)),
  ]),
  async run(b) {
    const out: Metric[] = [];
    for (const mode of ['pglite', 'postgres'] as const) {
      try {
        out.push(...(await rowsOn(b, mode)));
      } catch (err) {
        b.log(`  ${mode} failed: ${(err as Error).stack ?? String(err)}`);
        out.push(failed(spec(`growth_rows_${mode}`, `Stored-transcript growth (${mode})`, 'ms', '<', 0), err));
      }
    }
    return out;
  },
};
