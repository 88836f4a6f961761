import type { Db, Queryable } from './index.js';

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
  {
    version: 4,
    name: 'status page',
    sql: `
      -- one row per setting the status page keeps for itself: page id, signing secret
      create table status_meta (
        key text primary key,
        value text not null
      );

      -- lets one node of a fleet claim each probe round
      create table status_ticks (
        name text primary key,
        next_at timestamptz not null
      );

      create table status_components (
        id text primary key,
        name text not null,
        status text not null,
        active boolean not null default true,
        bad_streak integer not null default 0,
        good_streak integer not null default 0,
        last_observed text,
        last_probe_at timestamptz,
        last_latency_ms integer,
        last_message text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );

      -- every probe: what it saw, and the component's status once hysteresis has weighed it
      create table status_probes (
        id bigserial primary key,
        component text not null,
        at timestamptz not null,
        observed text not null,
        status text not null,
        latency_ms integer,
        message text
      );
      create index status_probes_component_at on status_probes (component, at desc);
      create index status_probes_at on status_probes (at);

      -- seconds spent in each status per hour and per day (UTC), so pages never scan raw probes
      create table status_rollups (
        component text not null,
        span text not null,
        bucket timestamptz not null,
        operational_s double precision not null default 0,
        degraded_s double precision not null default 0,
        partial_s double precision not null default 0,
        major_s double precision not null default 0,
        maintenance_s double precision not null default 0,
        primary key (component, span, bucket)
      );

      -- incidents and scheduled maintenances, as Statuspage models both
      create table status_incidents (
        id text primary key,
        kind text not null,
        name text not null,
        status text not null,
        impact text not null,
        auto boolean not null default false,
        components jsonb not null,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        started_at timestamptz not null,
        monitoring_at timestamptz,
        resolved_at timestamptz,
        scheduled_for timestamptz,
        scheduled_until timestamptz
      );
      create index status_incidents_created on status_incidents (created_at desc);

      create table status_incident_updates (
        id text primary key,
        incident_id text not null references status_incidents(id) on delete cascade,
        status text not null,
        body text not null,
        affected_components jsonb not null,
        created_at timestamptz not null
      );
      create index status_incident_updates_incident on status_incident_updates (incident_id, created_at);

      create table status_subscribers (
        id text primary key,
        kind text not null,
        target text not null,
        components jsonb,
        secret text,
        base_url text not null,
        created_at timestamptz not null default now(),
        confirmed_at timestamptz,
        unsubscribed_at timestamptz
      );
      create unique index status_subscribers_email on status_subscribers (lower(target)) where kind = 'email' and unsubscribed_at is null;

      -- the send log: every attempt of every alert
      create table status_alert_log (
        id bigserial primary key,
        subscriber_id text not null,
        kind text not null,
        target text not null,
        subject text not null,
        attempt integer not null,
        ok boolean not null,
        error text,
        created_at timestamptz not null
      );
      create index status_alert_log_created on status_alert_log (created_at desc);
    `,
  },
  {
    version: 5,
    name: 'unique project names',
    // Nodes started at once each made a "default" project before names were unique. What the copies hold
    // moves to the oldest one, then the copies go.
    sql: ['api_keys', 'uploads', 'transcripts', 'streaming_tokens', 'lemur_requests']
      .map(
        (table) => `
      update ${table} t set project_id = d.keep
        from (select id, first_value(id) over (partition by name order by created_at, id) as keep from projects) d
       where t.project_id = d.id and d.id <> d.keep;`,
      )
      .join('\n')
      .concat(`
      delete from projects p where exists (select 1 from projects q where q.name = p.name and (q.created_at, q.id) < (p.created_at, p.id));
      alter table projects add constraint projects_name_key unique (name);
    `),
  },
  {
    version: 6,
    name: 'transcription workers lost',
    sql: `
      -- attempts whose worker died without handing the job back; EARSHOT_JOB_MAX_ATTEMPTS of them end the job
      alter table transcripts add column workers_lost integer not null default 0;
      -- a delete now cancels the job; before, a transcript deleted while running stayed "processing" for good
      update transcripts set status = 'error', lease_expires_at = null where deleted_at is not null and status in ('queued', 'processing');
    `,
  },
  {
    version: 7,
    name: 'fleet-wide streaming sessions',
    sql: `
      -- one row per live streaming session on any node, kept alive by its node's heartbeat
      create table streaming_sessions (
        id text primary key,
        instance_id text not null,
        project_id text not null,
        started_at timestamptz not null default now(),
        expires_at timestamptz not null
      );
      create index streaming_sessions_instance on streaming_sessions (instance_id);
    `,
  },
  {
    version: 8,
    name: 'transcript file names (console)',
    sql: `
      -- The name of the file a transcript was made from, as the console uploaded it (an Earshot extension).
      alter table transcripts add column file_name text;
    `,
  },
  {
    version: 9,
    name: 'webhook response excerpts',
    sql: `
      -- The start of what the receiver answered, to tell why a delivery failed.
      alter table webhook_deliveries add column response_excerpt text;
    `,
  },
  {
    version: 10,
    name: 'fleet-wide LLM rate limit',
    sql: `
      -- each project's current rate-limit window for LeMUR and the LLM Gateway, shared by every node
      create table llm_rate_windows (
        project_id text primary key,
        window_start timestamptz not null,
        count integer not null
      );
    `,
  },
  {
    version: 11,
    name: 'one status truth per fleet',
    sql: `
      -- every live node: what it runs, where, and its own HTTP and streaming checks
      create table status_nodes (
        instance_id text primary key,
        version text not null,
        hostname text not null,
        base_url text not null,
        started_at timestamptz not null,
        last_seen timestamptz not null,
        expires_at timestamptz not null,
        checks jsonb not null default '{}'
      );
      -- which node ran each probe
      alter table status_probes add column instance_id text;
      -- the component of an automatic incident; at most one open per component, fleet-wide
      alter table status_incidents add column auto_component text;
      update status_incidents set auto_component = components->>0 where auto and kind = 'incident';
      -- nodes used to open one each: the newest stays open
      update status_incidents i set status = 'resolved', resolved_at = now(), updated_at = now()
       where i.auto_component is not null and i.status not in ('resolved', 'postmortem', 'completed')
         and exists (select 1 from status_incidents j where j.auto_component = i.auto_component
                      and j.status not in ('resolved', 'postmortem', 'completed') and (j.created_at, j.id) > (i.created_at, i.id));
      create unique index status_incidents_one_auto on status_incidents (auto_component)
       where auto_component is not null and status not in ('resolved', 'postmortem', 'completed');
    `,
  },
];

/** Applies pending migrations, one process at a time (fleet nodes starting at once, the CLI). */
export async function migrate(db: Db): Promise<number[]> {
  return db.exclusively(() => db.transaction(applyPending));
}

async function applyPending(tx: Queryable): Promise<number[]> {
  await tx.query(
    'create table if not exists earshot_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())',
  );
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
}

/** Splits on semicolons at line ends; migrations here hold no functions or quoted semicolons. */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}
