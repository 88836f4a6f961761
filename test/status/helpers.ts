/** Shared pieces of the status page tests: fast probe settings, polling, a real SMTP server, PostgreSQL switches. */
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { api, POSTGRES_ADMIN_URL, type TestServer } from '../helpers/server.js';

/** Probes every second, two probes to change a status, no upstream (no internet in tests). */
export function fastStatusEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    EARSHOT_STATUS_PROBE_SECONDS: '1',
    EARSHOT_STATUS_PROBE_TIMEOUT_SECONDS: '15',
    EARSHOT_STATUS_FAILURE_THRESHOLD: '2',
    EARSHOT_STATUS_SUCCESS_THRESHOLD: '2',
    EARSHOT_STATUS_UPSTREAMS: '',
    EARSHOT_STATUS_ALERT_RETRY_SECONDS: '0.5',
    ...extra,
  };
}

export async function waitFor<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      last = await get();
      if (ok(last)) return last;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 1500)} ${lastErr ? String(lastErr) : ''}`);
}

export interface Summary {
  status: { indicator: string; description: string };
  components: { id: string; name: string; status: string; group: boolean; group_id: string | null; components?: string[] }[];
  incidents: {
    id: string;
    name: string;
    status: string;
    impact: string;
    components: { id: string }[];
    incident_updates: { status: string; body: string }[];
  }[];
}

export async function getJson<T>(server: TestServer, path: string): Promise<T> {
  const res = await fetch(new URL(path, server.url));
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
}

export const summary = (server: TestServer) => getJson<Summary>(server, '/api/v2/summary.json');

/** Waits until component `id` shows `status` in summary.json. */
export function waitForComponent(server: TestServer, id: string, status: string, timeoutMs = 60_000): Promise<Summary> {
  return waitFor(
    `${id} ${status}`,
    () => summary(server),
    (s) => s.components.find((c) => c.id === id)?.status === status,
    timeoutMs,
  );
}

/** The operator key (the test server's key is in the "default" project). */
export function operator(server: TestServer, path: string, json?: unknown): Promise<Response> {
  return api(server, path, { method: 'POST', ...(json !== undefined && { json }) });
}

export interface Mail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  /** The text/plain part, decoded. */
  text: string;
  headers: string;
}

function decodeQuotedPrintable(s: string): string {
  const bytes = s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** The text/plain part of a (nodemailer) message. */
function textPart(raw: string): string {
  const m = /Content-Type: text\/plain[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*?Content-Transfer-Encoding: ([\w-]+)\r?\n\r?\n([\s\S]*?)\r?\n--/i.exec(
    raw,
  );
  if (!m) return raw;
  const [, encoding, body] = m;
  if (/quoted-printable/i.test(encoding!)) return decodeQuotedPrintable(body!);
  if (/base64/i.test(encoding!)) return Buffer.from(body!, 'base64').toString('utf8');
  return body!;
}

/** A real SMTP server on a free port that keeps every message it is given. */
export async function startSmtp() {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const headers = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
        const subject = /^Subject: (.*)/im.exec(headers)?.[1] ?? '';
        mails.push({
          from: session.envelope.mailFrom ? (session.envelope.mailFrom as { address: string }).address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject,
          text: textPart(raw),
          headers,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    waitForMail(pred: (m: Mail) => boolean, timeoutMs = 60_000): Promise<Mail> {
      return waitFor(
        'an email',
        async () => mails.find(pred),
        (m) => m !== undefined,
        timeoutMs,
      ) as Promise<Mail>;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The first URL in a text that starts with `prefix`. */
export function linkIn(text: string, prefix: string): string {
  const m = new RegExp(`${prefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}[^\\s>"]*`).exec(text);
  if (!m) throw new Error(`no link starting with ${prefix} in:\n${text}`);
  return m[0];
}

/** Takes the test server's PostgreSQL database away (no new connections, existing ones cut), or gives it back. */
export async function setDatabaseReachable(server: TestServer, reachable: boolean): Promise<void> {
  const name = new URL(server.env.DATABASE_URL!).pathname.slice(1);
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`alter database ${name} allow_connections ${reachable}`);
    if (!reachable)
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
  } finally {
    await admin.end();
  }
}

/** A query on the test server's PostgreSQL database. */
export async function queryDatabase<T>(server: TestServer, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: server.env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
