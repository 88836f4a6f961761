import type { Queryable } from '../../db/index.js';

export interface Subscriber {
  id: string;
  kind: 'email' | 'webhook';
  /** Email address or webhook URL. */
  target: string;
  /** Component ids to hear about; null: all. */
  components: string[] | null;
  /** Webhook signing secret (HMAC-SHA256). */
  secret: string | null;
  /** Where links in alerts point (the URL the subscription was made through, unless EARSHOT_PUBLIC_URL says otherwise). */
  baseUrl: string;
  createdAt: Date;
  confirmedAt: Date | null;
  unsubscribedAt: Date | null;
}

interface Row {
  id: string;
  kind: Subscriber['kind'];
  target: string;
  components: string[] | null;
  secret: string | null;
  base_url: string;
  created_at: Date;
  confirmed_at: Date | null;
  unsubscribed_at: Date | null;
}

const fromRow = (r: Row): Subscriber => ({
  id: r.id,
  kind: r.kind,
  target: r.target,
  components: r.components,
  secret: r.secret,
  baseUrl: r.base_url,
  createdAt: r.created_at,
  confirmedAt: r.confirmed_at,
  unsubscribedAt: r.unsubscribed_at,
});

export async function insertSubscriber(db: Queryable, s: Omit<Subscriber, 'createdAt' | 'unsubscribedAt'>): Promise<Subscriber> {
  const { rows } = await db.query<Row>(
    `insert into status_subscribers (id, kind, target, components, secret, base_url, confirmed_at) values ($1, $2, $3, $4, $5, $6, $7) returning *`,
    [s.id, s.kind, s.target, s.components ? JSON.stringify(s.components) : null, s.secret, s.baseUrl, s.confirmedAt],
  );
  return fromRow(rows[0]!);
}

/** The active (not unsubscribed) email subscription of an address, confirmed or not. */
export async function activeEmailSubscriber(db: Queryable, email: string): Promise<Subscriber | null> {
  const { rows } = await db.query<Row>(
    "select * from status_subscribers where kind = 'email' and lower(target) = lower($1) and unsubscribed_at is null",
    [email],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function getSubscriber(db: Queryable, id: string): Promise<Subscriber | null> {
  const { rows } = await db.query<Row>('select * from status_subscribers where id = $1', [id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function confirmSubscriber(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query(
    'update status_subscribers set confirmed_at = coalesce(confirmed_at, now()) where id = $1 and unsubscribed_at is null returning id',
    [id],
  );
  return rows.length > 0;
}

export async function unsubscribe(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query(
    'update status_subscribers set unsubscribed_at = coalesce(unsubscribed_at, now()) where id = $1 returning id',
    [id],
  );
  return rows.length > 0;
}

/** Everyone who hears alerts: confirmed and still subscribed. */
export async function listRecipients(db: Queryable): Promise<Subscriber[]> {
  const { rows } = await db.query<Row>(
    'select * from status_subscribers where confirmed_at is not null and unsubscribed_at is null order by created_at',
  );
  return rows.map(fromRow);
}
