import { STATUS_LABEL, type ComponentStatus } from '../model.js';
import { incidentJson } from '../statuspage.js';
import type { Incident, IncidentUpdate } from '../store/incidents.js';
import type { StatusView } from '../view.js';

/** One alert as each channel sends it. */
export interface Message {
  subject: string;
  email: { text: string; html: string } | null;
  /** Statuspage's webhook payloads, so receivers written for Statuspage read them. */
  webhook: { event: 'incident' | 'component_update' | 'subscription'; body: object } | null;
}

export type AlertView = Pick<StatusView, 'page' | 'components' | 'indicator' | 'description'>;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const words = (s: string) => s.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
const DOCS = 'https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/';

function pageRef(view: AlertView) {
  return { id: view.page.id, status_indicator: view.indicator, status_description: view.description };
}

function htmlMail(title: string, paragraphs: string[], links: { pageUrl: string; unsubscribeUrl: string | null }): string {
  const foot = [
    `<a href="${esc(links.pageUrl)}">Status page</a>`,
    ...(links.unsubscribeUrl ? [`<a href="${esc(links.unsubscribeUrl)}">Unsubscribe</a>`] : []),
  ].join(' · ');
  return (
    `<!doctype html><html><body style="font-family:system-ui,sans-serif;max-width:36em">` +
    `<h2>${esc(title)}</h2>${paragraphs.map((p) => `<p>${esc(p).replace(/\n/g, '<br>')}</p>`).join('')}` +
    `<p style="color:#666;font-size:90%">${foot}</p></body></html>`
  );
}

export function incidentMessage(view: AlertView, incident: Incident, update: IncidentUpdate, unsubscribeUrl: string): Message {
  const changes = update.affectedComponents.map((a) => `${a.name}: ${STATUS_LABEL[a.old_status]} → ${STATUS_LABEL[a.new_status]}`);
  const kind = incident.kind === 'maintenance' ? 'Maintenance' : 'Incident';
  const lines = [
    `${kind} status: ${words(update.status)}${incident.kind === 'incident' ? ` · impact: ${incident.impact}` : ''}`,
    update.body,
    ...(changes.length ? [changes.join('\n')] : []),
    ...(incident.scheduledFor
      ? [`Scheduled ${incident.scheduledFor.toISOString()} to ${incident.scheduledUntil?.toISOString() ?? '?'}`]
      : []),
  ];
  const subject = `[${view.page.name}] ${incident.name}: ${words(update.status)}`;
  const pageUrl = `${view.page.url}/incidents/${incident.id}`;
  return {
    subject,
    email: {
      text: `${incident.name}\n\n${lines.join('\n\n')}\n\n${kind}: ${pageUrl}\nUnsubscribe: ${unsubscribeUrl}\n`,
      html: htmlMail(incident.name, lines, { pageUrl, unsubscribeUrl }),
    },
    webhook: {
      event: 'incident',
      body: { meta: { unsubscribe: unsubscribeUrl, documentation: DOCS }, page: pageRef(view), incident: incidentJson(incident, view) },
    },
  };
}

export function componentMessage(
  view: AlertView,
  componentId: string,
  oldStatus: ComponentStatus,
  newStatus: ComponentStatus,
  at: Date,
  updateId: string,
  unsubscribeUrl: string,
): Message {
  const c = view.components.find((x) => x.id === componentId)!;
  return {
    subject: `[${view.page.name}] ${c.name}: ${STATUS_LABEL[newStatus]}`,
    email: null,
    webhook: {
      event: 'component_update',
      body: {
        meta: { unsubscribe: unsubscribeUrl, documentation: DOCS },
        page: pageRef(view),
        component_update: { created_at: at.toISOString(), new_status: newStatus, old_status: oldStatus, id: updateId, component_id: c.id },
        component: { created_at: c.createdAt.toISOString(), id: c.id, name: c.name, status: newStatus },
      },
    },
  };
}

export function confirmMessage(view: AlertView, confirmUrl: string, components: string[] | null): Message {
  const which = components
    ? view.components
        .filter((c) => components.includes(c.id))
        .map((c) => c.name)
        .join(', ')
    : 'all components';
  const lines = [
    `Someone (hopefully you) asked to get an email whenever the status of ${which} on ${view.page.name}'s status page changes.`,
    `Confirm: ${confirmUrl}`,
    'If it was not you, ignore this email: nothing is sent unless the link is opened.',
  ];
  return {
    subject: `[${view.page.name}] Confirm your status subscription`,
    email: {
      text: `${lines.join('\n\n')}\n`,
      html: htmlMail('Confirm your subscription', lines, { pageUrl: view.page.url, unsubscribeUrl: null }),
    },
    webhook: null,
  };
}
