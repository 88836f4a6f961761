import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/index.js';
import type { Alerts } from './alerts/dispatcher.js';
import type { AlertView } from './alerts/messages.js';
import { StatusError } from './errors.js';
import { newId } from './ids.js';
import {
  activeEmailSubscriber,
  confirmSubscriber,
  getSubscriber,
  insertSubscriber,
  unsubscribe,
  type Subscriber,
} from './store/subscribers.js';
import { readToken } from './tokens.js';

const EMAIL = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;

/** The form is public: one confirmation email per address per this long, so it cannot be used to flood an inbox. */
const RESEND_MS = 10 * 60_000;
const lastConfirmation = new Map<string, number>();

export interface SubscriptionDeps {
  db: Queryable;
  /** Sends the confirmation email and reloads the recipients after each change. */
  alerts: Pick<Alerts, 'confirm' | 'refresh' | 'unsubscribeUrl'>;
  alertView: () => AlertView;
  /** Signs the confirm and unsubscribe links. */
  secret: string;
  emailEnabled: boolean;
}

/** Who gets alerts: email subscribers (double opt-in) and webhooks, and the links that confirm and cancel them. */
export class Subscriptions {
  constructor(private readonly deps: SubscriptionDeps) {}

  /**
   * Double opt-in: the subscription exists unconfirmed until the link mailed to the address is opened.
   * The answer is the same whether or not the address was already subscribed, so it reveals nobody.
   */
  async subscribeEmail(email: string, components: string[] | null, baseUrl: string): Promise<void> {
    const { db, alerts } = this.deps;
    if (!this.deps.emailEnabled)
      throw new StatusError(
        'unavailable',
        'Email alerts are not set up on this server (no EARSHOT_SMTP_URL); subscribe a webhook instead.',
      );
    if (!EMAIL.test(email) || email.length > 254) throw new StatusError('invalid', 'email must be an email address');
    const existing = await activeEmailSubscriber(db, email);
    if (existing?.confirmedAt) return;
    const address = email.toLowerCase();
    if (Date.now() - (lastConfirmation.get(address) ?? 0) < RESEND_MS) return;
    lastConfirmation.set(address, Date.now());
    const sub =
      existing ??
      (await insertSubscriber(db, { id: newId(), kind: 'email', target: email, components, secret: null, baseUrl, confirmedAt: null }));
    alerts.confirm(this.deps.alertView(), sub);
  }

  /** Webhooks need an API key (they make this server send requests), and are live at once; the secret is shown only now. */
  async subscribeWebhook(url: string, components: string[] | null, baseUrl: string): Promise<Subscriber> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new StatusError('invalid', 'webhook must be an http(s) URL');
    }
    if (!/^https?:$/.test(parsed.protocol)) throw new StatusError('invalid', 'webhook must be an http(s) URL');
    const sub = await insertSubscriber(this.deps.db, {
      id: newId(),
      kind: 'webhook',
      target: url,
      components,
      secret: randomBytes(24).toString('hex'),
      baseUrl,
      confirmedAt: new Date(),
    });
    await this.deps.alerts.refresh();
    return sub;
  }

  unsubscribeUrl(sub: Subscriber): string {
    return this.deps.alerts.unsubscribeUrl(sub);
  }

  async confirm(token: string): Promise<Subscriber | null> {
    const id = readToken(this.deps.secret, 'confirm', token);
    if (!id || !(await confirmSubscriber(this.deps.db, id))) return null;
    await this.deps.alerts.refresh();
    return getSubscriber(this.deps.db, id);
  }

  async unsubscribe(token: string): Promise<Subscriber | null> {
    const id = readToken(this.deps.secret, 'unsubscribe', token);
    if (!id || !(await unsubscribe(this.deps.db, id))) return null;
    await this.deps.alerts.refresh();
    return getSubscriber(this.deps.db, id);
  }

  async remove(id: string): Promise<boolean> {
    const done = await unsubscribe(this.deps.db, id);
    await this.deps.alerts.refresh();
    return done;
  }
}
