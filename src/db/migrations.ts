import type { Db } from './index.js';

/**
 * Schema migrations, applied in order once each. Append new entries; never edit an applied one.
 * Kept in TypeScript (not .sql files) so the build carries them without a copy step.
 */
const migrations: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      create table projects (
        id uuid primary key,
        name text not null,
        created_at timestamptz not null default now()
      );

      create table api_keys (
        id uuid primary key,
        project_id uuid not null references projects(id),
        name text not null,
        key_hash text not null unique,
        key_prefix text not null,
        created_at timestamptz not null default now(),
        revoked_at timestamptz
      );

      create table uploads (
        id uuid primary key,
        project_id uuid not null references projects(id),
        size bigint not null,
        created_at timestamptz not null default now(),
        expires_at timestamptz not null
      );
      create index uploads_expires_at on uploads (expires_at);

      create table transcripts (
        id uuid primary key,
        project_id uuid not null references projects(id),
        status text not null,
        audio_url text not null,
        upload_id uuid,
        params jsonb not null,
        result jsonb,
        error text,
        webhook_status_code integer,
        created_at timestamptz not null default now(),
        completed_at timestamptz,
        deleted_at timestamptz,
        -- crash recovery: which attempt owns the job and until when
        attempt integer not null default 0,
        lease_expires_at timestamptz,
        job_id uuid
      );
      create index transcripts_project_created on transcripts (project_id, created_at desc, id desc);
      create index transcripts_lease on transcripts (lease_expires_at) where status = 'processing';

      create table webhook_deliveries (
        id bigserial primary key,
        transcript_id uuid not null references transcripts(id) on delete cascade,
        attempt integer not null,
        url text not null,
        status_code integer,
        error text,
        duration_ms integer not null,
        created_at timestamptz not null default now()
      );
      create index webhook_deliveries_transcript on webhook_deliveries (transcript_id, id);
    `,
  },
  {
    version: 2,
    name: 'streaming temporary tokens',
    sql: `
      create table streaming_tokens (
        token_hash text primary key,
        project_id uuid not null references projects(id),
        expires_at timestamptz not null,
        max_session_seconds integer not null,
        used_at timestamptz,
        created_at timestamptz not null default now()
      );
      create index streaming_tokens_expires on streaming_tokens (expires_at);
    `,
  },
  {
    version: 3,
    name: 'LeMUR responses',
    sql: `
      create table lemur_requests (
        id uuid primary key,
        project_id uuid not null references projects(id),
        kind text not null,
        model text not null,
        response jsonb not null,
        created_at timestamptz not null default now()
      );
      create index lemur_requests_project on lemur_requests (project_id, created_at);
    `,
  },
];

/** Applies pending migrations. An advisory lock keeps several fleet nodes starting at once from racing. */
export async function migrate(db: Db): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock(7462001)');
    await tx.query('create table if not exists earshot_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())');
    const { rows } = await tx.query<{ version: number }>('select version from earshot_migrations');
    const applied = new Set(rows.map((r) => r.version));
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      for (const statement of splitStatements(m.sql)) await tx.query(statement);
      await tx.query('insert into earshot_migrations (version, name) values ($1, $2)', [m.version, m.name]);
      done.push(m.version);
    }
    return done;
  });
}

/** Splits on semicolons at line ends; migrations here hold no functions or quoted semicolons. */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}
