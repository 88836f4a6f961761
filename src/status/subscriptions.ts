import { randomBytes } from 'node:crypto';
import { newId } from './ids.js';
import type { StatusService } from './service.js';
import {
  activeEmailSubscriber,
  confirmSubscriber,
  getSubscriber,
  insertSubscriber,
  unsubscribe,
  type Subscriber,
} from './store/subscribers.js';
import { readToken } from './tokens.js';

export class SubscriptionError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

const EMAIL = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;

/** The form is public: one confirmation email per address per this long, so it cannot be used to flood an inbox. */
const RESEND_MS = 10 * 60_000;
const lastConfirmation = new Map<string, number>();

/** The component ids asked for, checked; empty or absent: all. */
export function componentFilter(svc: StatusService, raw: unknown): string[] | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const ids = (Array.isArray(raw) ? raw : String(raw).split(',')).map((s) => String(s).trim()).filter(Boolean);
  const unknown = ids.filter((id) => !svc.defs.some((d) => d.id === id));
  if (unknown.length)
    throw new SubscriptionError(
      `unknown component${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: use ${svc.defs.map((d) => d.id).join(', ')}`,
      400,
    );
  return ids.length ? [...new Set(ids)] : null;
}

/**
 * Double opt-in: the subscription exists unconfirmed until the link mailed to the address is opened.
 * The answer is the same whether or not the address was already subscribed, so it reveals nobody.
 */
export async function subscribeEmail(svc: StatusService, email: string, components: string[] | null, baseUrl: string): Promise<void> {
  if (!svc.emailEnabled)
    throw new SubscriptionError('Email alerts are not set up on this server (no EARSHOT_SMTP_URL); subscribe a webhook instead.', 503);
  if (!EMAIL.test(email) || email.length > 254) throw new SubscriptionError('email must be an email address', 400);
  const existing = await activeEmailSubscriber(svc.db, email);
  if (existing?.confirmedAt) return;
  const address = email.toLowerCase();
  if (Date.now() - (lastConfirmation.get(address) ?? 0) < RESEND_MS) return;
  lastConfirmation.set(address, Date.now());
  const sub =
    existing ??
    (await insertSubscriber(svc.db, { id: newId(), kind: 'email', target: email, components, secret: null, baseUrl, confirmedAt: null }));
  svc.alerts.confirm(svc.alertView(), sub);
}

/** Webhooks need an API key (they make this server send requests), and are live at once; the secret is shown only now. */
export async function subscribeWebhook(svc: StatusService, url: string, components: string[] | null, baseUrl: string): Promise<Subscriber> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SubscriptionError('webhook must be an http(s) URL', 400);
  }
  if (!/^https?:$/.test(parsed.protocol)) throw new SubscriptionError('webhook must be an http(s) URL', 400);
  const sub = await insertSubscriber(svc.db, {
    id: newId(),
    kind: 'webhook',
    target: url,
    components,
    secret: randomBytes(24).toString('hex'),
    baseUrl,
    confirmedAt: new Date(),
  });
  await svc.alerts.refresh();
  return sub;
}

export async function confirmByToken(svc: StatusService, token: string): Promise<Subscriber | null> {
  const id = readToken(svc.secret, 'confirm', token);
  if (!id || !(await confirmSubscriber(svc.db, id))) return null;
  await svc.alerts.refresh();
  return getSubscriber(svc.db, id);
}

export async function unsubscribeByToken(svc: StatusService, token: string): Promise<Subscriber | null> {
  const id = readToken(svc.secret, 'unsubscribe', token);
  if (!id || !(await unsubscribe(svc.db, id))) return null;
  await svc.alerts.refresh();
  return getSubscriber(svc.db, id);
}

export async function removeSubscriber(svc: StatusService, id: string): Promise<boolean> {
  const done = await unsubscribe(svc.db, id);
  await svc.alerts.refresh();
  return done;
}
