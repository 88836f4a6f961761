import type { Config } from '../../config.js';
import type { Queryable } from '../../db/index.js';
import type { Logger } from '../../log.js';
import type { ComponentStatus } from '../model.js';
import { newId } from '../ids.js';
import { logAlert } from '../store/alert-log.js';
import type { Incident, IncidentUpdate } from '../store/incidents.js';
import { listRecipients, type Subscriber } from '../store/subscribers.js';
import { makeToken } from '../tokens.js';
import type { WriteBuffer } from '../write-buffer.js';
import type { Mailer } from './email.js';
import { componentMessage, confirmMessage, incidentMessage, type AlertView, type Message } from './messages.js';
import { postWebhook } from './webhook.js';
import { within } from '../deadline.js';

const DB_WAIT_MS = 3_000;

export interface AlertDeps {
  config: Config;
  db: Queryable;
  log: Logger;
  writes: WriteBuffer;
  mailer: Mailer | null;
  secret: string;
}

/**
 * Sends alerts the moment they happen, from this process, with retries (EARSHOT_STATUS_ALERT_ATTEMPTS,
 * EARSHOT_STATUS_ALERT_RETRY_SECONDS doubling) and every try in the send log. Not through the job
 * queue: that lives in the database, and a database outage is one of the things to alert about.
 * The cost: tries still pending when the process stops are lost (the send log shows them unfinished).
 */
export class Alerts {
  private recipients: Subscriber[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sending = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly deps: AlertDeps) {}

  /** Reloads who hears alerts; the last list stays in use while the database is down. */
  async refresh(): Promise<void> {
    try {
      this.recipients = await within(DB_WAIT_MS, listRecipients(this.deps.db), 'alert recipients');
    } catch (err) {
      this.deps.log.warn({ err }, 'status: alert recipients not reloaded (database unreachable); using the last list');
    }
  }

  private base(sub: Subscriber): string {
    return (this.deps.config.publicUrl ?? sub.baseUrl).replace(/\/+$/, '');
  }

  unsubscribeUrl(sub: Subscriber): string {
    return `${this.base(sub)}/status/subscriptions/unsubscribe?token=${makeToken(this.deps.secret, 'unsubscribe', sub.id)}`;
  }

  confirmUrl(sub: Subscriber): string {
    return `${this.base(sub)}/status/subscriptions/confirm?token=${makeToken(this.deps.secret, 'confirm', sub.id)}`;
  }

  private static hears(sub: Subscriber, components: string[]): boolean {
    return !sub.components || components.length === 0 || components.some((c) => sub.components!.includes(c));
  }

  async incident(view: AlertView, incident: Incident, update: IncidentUpdate): Promise<void> {
    await this.refresh();
    for (const sub of this.recipients) {
      if (Alerts.hears(sub, incident.components)) this.deliver(sub, incidentMessage(view, incident, update, this.unsubscribeUrl(sub)));
    }
  }

  /** Statuspage sends webhooks a `component_update` of their own; emails tell it through the incident. */
  async component(view: AlertView, componentId: string, oldStatus: ComponentStatus, newStatus: ComponentStatus, at: Date): Promise<void> {
    await this.refresh();
    for (const sub of this.recipients) {
      if (sub.kind === 'webhook' && Alerts.hears(sub, [componentId]))
        this.deliver(sub, componentMessage(view, componentId, oldStatus, newStatus, at, newId(), this.unsubscribeUrl(sub)));
    }
  }

  confirm(view: AlertView, sub: Subscriber): void {
    this.deliver(sub, confirmMessage(view, this.confirmUrl(sub), sub.components));
  }

  private deliver(sub: Subscriber, message: Message, attempt = 1): void {
    if (this.stopped) return;
    const sending = this.send(sub, message).then(
      () => this.record(sub, message, attempt, null),
      (err: Error) => {
        this.record(sub, message, attempt, err.message);
        if (attempt >= this.deps.config.statusAlertAttempts) {
          this.deps.log.warn({ subscriber: sub.id, subject: message.subject, attempts: attempt }, 'status: alert given up');
          return;
        }
        const wait = this.deps.config.statusAlertRetrySeconds * 1000 * 2 ** (attempt - 1);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.deliver(sub, message, attempt + 1);
        }, wait);
        this.timers.add(timer);
      },
    );
    this.sending.add(sending);
    void sending.finally(() => this.sending.delete(sending));
  }

  private async send(sub: Subscriber, m: Message): Promise<void> {
    if (sub.kind === 'email') {
      if (!m.email) return;
      if (!this.deps.mailer) throw new Error('no SMTP server is configured (EARSHOT_SMTP_URL)');
      const unsubscribeUrl = sub.confirmedAt ? this.unsubscribeUrl(sub) : null;
      await this.deps.mailer.send({ to: sub.target, subject: m.subject, ...m.email, unsubscribeUrl });
    } else {
      if (!m.webhook) return;
      await postWebhook(sub.target, sub.secret!, m.webhook.event, m.webhook.body, {
        publicMode: this.deps.config.publicMode,
        timeoutMs: this.deps.config.webhookTimeoutMs,
      });
    }
  }

  private record(sub: Subscriber, m: Message, attempt: number, error: string | null): void {
    const entry = {
      subscriberId: sub.id,
      kind: sub.kind,
      target: sub.target,
      subject: m.subject,
      attempt,
      ok: error === null,
      error,
      at: new Date(),
    };
    if (error) this.deps.log.info({ subscriber: sub.id, attempt, error }, 'status: alert attempt failed');
    void this.deps.writes.write('alert log', (db) => logAlert(db, entry));
  }

  /** Waits for sends in flight; retries not yet due are dropped. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.sending]);
  }
}
