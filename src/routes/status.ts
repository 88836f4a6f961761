import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { baseUrlOf } from '../http/urls.js';
import type { AppContext } from '../context.js';
import { ApiError, errors } from '../http/errors.js';
import { Authenticator } from '../http/auth.js';
import { inactiveBadge, pageBadge, statusBadge, uptimeBadge } from '../status/badges.js';
import { atomFeed, rssFeed } from '../status/feed.js';
import { StatusError } from '../status/errors.js';
import type { IncidentInput, MaintenanceInput, UpdateInput } from '../status/incidents.js';
import { IMPACTS, INCIDENT_STATUSES, MAINTENANCE_STATUSES } from '../status/model.js';
import { renderHistory, renderMessage, renderPage } from '../status/page.js';
import {
  maintenancesJson,
  pageJson,
  componentsJson,
  incidentJson,
  statusJson,
  summaryJson,
  type MaintenanceFilter,
} from '../status/statuspage.js';
import { recentAlerts } from '../status/store/alert-log.js';
import { isOperatorProject } from '../storage/keys.js';
import { getIncident, listIncidents } from '../status/store/incidents.js';

type Body = Record<string, unknown> | undefined;

async function requireOperator(ctx: AppContext, request: FastifyRequest, what = 'change the status page'): Promise<void> {
  if (!(await isOperatorProject(ctx.db, request.projectId))) throw errors.statusForbidden(what);
}

const str = (body: Body, name: string, required: boolean): string | undefined => {
  const v = body?.[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw errors.invalidParam(`${name} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw errors.invalidParam(`${name} must be a string`);
  return v;
};

function oneOf<T extends string>(body: Body, name: string, values: readonly T[]): T | undefined {
  const v = str(body, name, false);
  if (v !== undefined && !values.includes(v as T)) throw errors.invalidParam(`${name} must be one of ${values.join(', ')}`);
  return v as T | undefined;
}

function date(body: Body, name: string): Date {
  const d = new Date(str(body, name, true)!);
  if (Number.isNaN(d.getTime())) throw errors.invalidParam(`${name} must be an ISO 8601 date and time`);
  return d;
}

const STATUS_ERRORS: Record<StatusError['kind'], (message: string) => ApiError> = {
  invalid: errors.statusInvalid,
  not_found: errors.statusNotFound,
  unavailable: errors.statusUnavailable,
};

/** The status page's refusals as API errors. */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StatusError) throw STATUS_ERRORS[err.kind](err.message);
    throw err;
  }
}

const wantsHtml = (request: FastifyRequest) => /text\/html/.test(request.headers.accept ?? '');

/**
 * The status page: `/status` (HTML), Statuspage's public JSON at `/api/v2/*`, feeds and badges,
 * subscriptions, and operator actions (incidents, maintenance, on-demand probes).
 */
export function statusRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const svc = ctx.status;
    const pub = { config: { public: true } };
    const refreshMs = Math.min(60_000, Math.max(2_000, (ctx.config.statusProbeSeconds || 60) * 1000));
    const pageUrl = (request: FastifyRequest) => `${baseUrlOf(ctx, request)}/status`;
    const view = (request: FastifyRequest, history = false) => svc.view(pageUrl(request), { history });
    /** The page's form gets its errors as a page; API clients get `{"error"}` as everywhere. */
    const formErrors = async (request: FastifyRequest, reply: FastifyReply, fn: () => Promise<FastifyReply>) => {
      try {
        return await guard(fn);
      } catch (err) {
        if (!(err instanceof ApiError) || !wantsHtml(request)) throw err;
        return reply
          .status(err.statusCode)
          .type('text/html; charset=utf-8')
          .send(renderMessage(await view(request), 'Not subscribed', err.message));
      }
    };
    // Statuspage's JSON is read by widgets on other sites.
    const open = (reply: FastifyReply) => reply.header('access-control-allow-origin', '*').header('cache-control', 'no-cache');

    // The subscribe form posts urlencoded; everything else here is JSON (as in the rest of the API).
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      const text = body as string;
      if (text.trimStart().startsWith('{')) {
        try {
          return done(null, JSON.parse(text));
        } catch (err) {
          return done(errors.invalidJson((err as Error).message), undefined);
        }
      }
      const form = new URLSearchParams(text);
      const out: Record<string, unknown> = {};
      for (const key of new Set(form.keys())) out[key] = key === 'components' ? form.getAll(key) : form.get(key);
      done(null, out);
    });

    /** Operators (a key of the "default" project) also see the fleet's nodes. */
    const operatorNodes = async (request: FastifyRequest) => {
      const key = Authenticator.keyFrom(request.headers.authorization);
      const projectId = key ? await ctx.auth.projectFor(key).catch(() => null) : null;
      return projectId && (await isOperatorProject(ctx.db, projectId).catch(() => false)) ? svc.listNodes() : undefined;
    };

    app.get('/status', pub, async (request, reply) => {
      const html = renderPage(await view(request, true), {
        emailEnabled: svc.emailEnabled,
        refreshMs,
        nodes: await operatorNodes(request),
      });
      return open(reply).type('text/html; charset=utf-8').send(html);
    });

    // Earshot extension, for operators: the fleet's live nodes and their own checks.
    app.get('/status/nodes.json', async (request, reply) => {
      await requireOperator(ctx, request, "list the fleet's nodes");
      const nodes = await svc.listNodes();
      return reply.header('cache-control', 'no-cache').send({
        nodes: nodes.map((n) => ({
          instance_id: n.instanceId,
          this_node: n.instanceId === svc.instanceId,
          hostname: n.hostname,
          version: n.version,
          base_url: n.baseUrl,
          started_at: n.startedAt.toISOString(),
          last_seen: n.lastSeen.toISOString(),
          checks: n.checks,
        })),
      });
    });

    app.get<{ Params: { id: string } }>('/status/incidents/:id', pub, async (request, reply) => {
      const v = await view(request);
      const incident =
        [...v.incidents, ...v.maintenances].find((i) => i.id === request.params.id) ?? (await getIncident(ctx.db, request.params.id));
      if (!incident) throw errors.notFound();
      return open(reply)
        .type('text/html; charset=utf-8')
        .send(renderPage(v, { emailEnabled: svc.emailEnabled, refreshMs, incident }));
    });

    // Incident history a month at a time (the front page shows 14 days).
    app.get<{ Querystring: { month?: string } }>('/status/history', pub, async (request, reply) => {
      const month = request.query.month ?? new Date().toISOString().slice(0, 7);
      const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
      if (!m) throw errors.invalidParam('month must be YYYY-MM, e.g. 2026-11');
      const from = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
      const to = new Date(Date.UTC(Number(m[1]), Number(m[2]), 1));
      const [incidents, maintenances, older] = await Promise.all([
        listIncidents(ctx.db, { kind: 'incident', createdFrom: from, createdBefore: to, limit: 500 }),
        listIncidents(ctx.db, { kind: 'maintenance', createdFrom: from, createdBefore: to, limit: 500 }),
        Promise.all([
          listIncidents(ctx.db, { kind: 'incident', createdBefore: from, limit: 1 }),
          listIncidents(ctx.db, { kind: 'maintenance', createdBefore: from, limit: 1 }),
        ]),
      ]);
      const items = [...incidents, ...maintenances].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
      return open(reply)
        .type('text/html; charset=utf-8')
        .send(
          renderHistory(
            await view(request),
            month,
            items,
            older.some((o) => o.length > 0),
          ),
        );
    });

    app.get('/api/v2/summary.json', pub, async (request, reply) => open(reply).send(summaryJson(await view(request))));
    app.get('/api/v2/status.json', pub, async (request, reply) => {
      const v = await view(request);
      return open(reply).send({ page: pageJson(v), status: statusJson(v) });
    });
    app.get('/api/v2/components.json', pub, async (request, reply) => {
      const v = await view(request);
      return open(reply).send({ page: pageJson(v), components: componentsJson(v) });
    });
    app.get('/api/v2/incidents.json', pub, async (request, reply) => {
      const v = await view(request);
      return open(reply).send({ page: pageJson(v), incidents: v.incidents.slice(0, 50).map((i) => incidentJson(i, v)) });
    });
    app.get('/api/v2/incidents/unresolved.json', pub, async (request, reply) => {
      const v = await view(request);
      return open(reply).send({ page: pageJson(v), incidents: v.unresolved.map((i) => incidentJson(i, v)) });
    });
    const maintenances = (filter: MaintenanceFilter) => async (request: FastifyRequest, reply: FastifyReply) =>
      open(reply).send(maintenancesJson(await view(request), filter));
    app.get('/api/v2/scheduled-maintenances.json', pub, maintenances('all'));
    app.get('/api/v2/scheduled-maintenances/upcoming.json', pub, maintenances('upcoming'));
    app.get('/api/v2/scheduled-maintenances/active.json', pub, maintenances('active'));

    app.get('/status/history.rss', pub, async (request, reply) =>
      open(reply)
        .type('application/rss+xml; charset=utf-8')
        .send(rssFeed(await view(request))),
    );
    app.get('/status/history.atom', pub, async (request, reply) =>
      open(reply)
        .type('application/atom+xml; charset=utf-8')
        .send(atomFeed(await view(request))),
    );

    // Earshot extension: uptime and the 90 daily bars per component (what `earshot status` prints).
    app.get('/status/history.json', pub, async (request, reply) => {
      const v = await view(request, true);
      return open(reply).send({
        page: pageJson(v),
        status: statusJson(v),
        live: v.live,
        components: v.components.map((c) => ({
          id: c.id,
          name: c.name,
          upstream: c.upstream,
          active: c.active,
          status: c.status,
          last_probe_at: c.lastProbeAt?.toISOString() ?? null,
          last_latency_ms: c.lastLatencyMs,
          last_message: c.lastMessage,
          uptime: c.history
            ? { '24h': c.history.uptime.d1, '7d': c.history.uptime.d7, '30d': c.history.uptime.d30, '90d': c.history.uptime.d90 }
            : null,
          days: c.history?.days ?? null,
        })),
      });
    });

    const svg = (reply: FastifyReply, body: string) => open(reply).type('image/svg+xml; charset=utf-8').send(body);
    app.get('/status/badge.svg', pub, async (request, reply) => {
      const v = await view(request);
      return svg(reply, pageBadge(v.page.name, v.indicator, v.description));
    });
    app.get<{ Params: { component: string } }>('/status/badge/:component', pub, async (request, reply) => {
      const c = (await view(request)).components.find((x) => `${x.id}.svg` === request.params.component);
      if (!c) throw errors.notFound();
      return svg(
        reply,
        c.active
          ? statusBadge(c.name, c.status)
          : inactiveBadge(c.name, !c.lastProbeAt ? 'not checked yet' : c.upstream ? 'not reached' : 'not configured'),
      );
    });
    app.get<{ Params: { component: string }; Querystring: { period?: string } }>(
      '/status/uptime/:component',
      pub,
      async (request, reply) => {
        const period = request.query.period ?? '90d';
        const key = ({ '24h': 'd1', '7d': 'd7', '30d': 'd30', '90d': 'd90' } as const)[period];
        if (!key) throw errors.invalidParam('period must be 24h, 7d, 30d or 90d');
        const c = (await view(request, true)).components.find((x) => `${x.id}.svg` === request.params.component);
        if (!c) throw errors.notFound();
        return svg(reply, uptimeBadge(`${c.name} ${period}`, c.history?.uptime[key] ?? null));
      },
    );

    app.post<{ Body: Body }>('/status/subscriptions', pub, async (request, reply) =>
      formErrors(request, reply, async () => {
        const body = request.body;
        const components = svc.components(body?.components);
        const base = baseUrlOf(ctx, request);
        const webhook = str(body, 'webhook', false);
        if (webhook) {
          request.projectId = await ctx.auth.require(request);
          const sub = await svc.subscriptions.subscribeWebhook(webhook, components, base);
          return reply.status(201).send({
            id: sub.id,
            webhook: sub.target,
            components: sub.components,
            secret: sub.secret,
            unsubscribe_url: svc.subscriptions.unsubscribeUrl(sub),
          });
        }
        const email = str(body, 'email', false);
        if (!email) throw errors.invalidParam('email (or, with an API key, webhook) is required');
        await svc.subscriptions.subscribeEmail(email, components, base);
        const message = `A confirmation link is on its way to ${email}. Alerts start once it is opened.`;
        if (wantsHtml(request))
          return reply
            .status(202)
            .type('text/html; charset=utf-8')
            .send(renderMessage(await view(request), 'Check your inbox', message));
        return reply.status(202).send({ message });
      }),
    );

    app.get<{ Querystring: { token?: string } }>('/status/subscriptions/confirm', pub, async (request, reply) => {
      const sub = await svc.subscriptions.confirm(request.query.token ?? '');
      const v = await view(request);
      const [code, heading, text] = sub
        ? [200, 'Subscribed', `${sub.target} now gets an email whenever the status changes.`]
        : [404, 'Link not valid', 'This confirmation link is not valid, or the subscription was cancelled.'];
      return reply
        .status(code)
        .type('text/html; charset=utf-8')
        .send(renderMessage(v, heading, text));
    });

    // One click: opening the link unsubscribes (GET), and so does a mail client's List-Unsubscribe-Post (RFC 8058).
    const unsubscribeHandler = async (request: FastifyRequest<{ Querystring: { token?: string } }>, reply: FastifyReply) => {
      const sub = await svc.subscriptions.unsubscribe(request.query.token ?? '');
      const v = await view(request);
      const [code, heading, text] = sub
        ? [200, 'Unsubscribed', `${sub.target} gets no more status alerts.`]
        : [404, 'Link not valid', 'This unsubscribe link is not valid.'];
      return reply
        .status(code)
        .type('text/html; charset=utf-8')
        .send(renderMessage(v, heading, text));
    };
    app.get('/status/subscriptions/unsubscribe', pub, unsubscribeHandler);
    app.post('/status/subscriptions/unsubscribe', pub, unsubscribeHandler);

    // Operators (keys of the "default" project).
    app.delete<{ Params: { id: string } }>('/status/subscriptions/:id', async (request) => {
      await requireOperator(ctx, request);
      if (!(await svc.subscriptions.remove(request.params.id))) throw errors.notFound();
      return { id: request.params.id, unsubscribed: true };
    });

    app.get<{ Querystring: { limit?: string } }>('/status/alerts', async (request) => {
      await requireOperator(ctx, request);
      const limit = Math.min(1000, Math.max(1, Number(request.query.limit ?? 100) || 100));
      return { alerts: (await recentAlerts(ctx.db, limit)).map((a) => ({ ...a, at: a.at.toISOString() })) };
    });

    app.post('/status/probe', async (request) => {
      await requireOperator(ctx, request);
      if (!svc.probing) throw errors.statusNotProbing();
      return { results: await svc.probeNow() };
    });

    app.post<{ Body: Body }>('/status/incidents', async (request, reply) => {
      await requireOperator(ctx, request);
      const body = request.body;
      const input: IncidentInput = {
        name: str(body, 'name', true)!,
        body: str(body, 'body', false) ?? str(body, 'message', true)!,
        status: oneOf(body, 'status', INCIDENT_STATUSES),
        impact: oneOf(body, 'impact', IMPACTS),
        components: (await guard(async () => svc.components(body?.components))) ?? [],
      };
      const v = await view(request);
      return reply.status(201).send(incidentJson(await svc.book.create(input), v));
    });

    app.post<{ Params: { id: string }; Body: Body }>('/status/incidents/:id/updates', async (request) => {
      await requireOperator(ctx, request);
      const body = request.body;
      const input: UpdateInput = {
        body: str(body, 'body', false) ?? str(body, 'message', true)!,
        status: oneOf(body, 'status', [...INCIDENT_STATUSES, ...MAINTENANCE_STATUSES]),
        name: str(body, 'name', false),
        impact: oneOf(body, 'impact', IMPACTS),
      };
      const incident = await guard(() => svc.book.update(request.params.id, input));
      return incidentJson(incident, await view(request));
    });

    app.post<{ Body: Body }>('/status/maintenances', async (request, reply) => {
      await requireOperator(ctx, request);
      const body = request.body;
      const input: MaintenanceInput = {
        name: str(body, 'name', true)!,
        body: str(body, 'body', false) ?? str(body, 'message', false),
        scheduledFor: date(body, 'scheduled_for'),
        scheduledUntil: date(body, 'scheduled_until'),
        components: (await guard(async () => svc.components(body?.components))) ?? [],
      };
      const m = await guard(() => svc.book.createMaintenance(input));
      return reply.status(201).send(incidentJson(m, await view(request)));
    });
  };
}
