import type { DayBar } from './history.js';
import { STATUS_LABEL } from './model.js';
import type { Incident } from './store/incidents.js';
import type { NodeCheck, NodeRow } from './store/nodes.js';
import type { ComponentView, StatusView } from './view.js';

/**
 * The status page: server-rendered HTML with inline CSS and a few lines of script for live refresh,
 * so it loads in one request with no client build and reads on a phone.
 */

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (u: number | null) => (u === null ? '–' : `${(Math.floor(u * 10_000) / 100).toFixed(2)} %`);
const when = (d: Date) => `<time datetime="${d.toISOString()}">${d.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;
const words = (s: string) => s.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

const CSS = `
:root{--ok:#2fcc66;--minor:#f1c40f;--major:#e67e22;--critical:#e74c3c;--maint:#3498db;--none:#d0d4d9;--fg:#1d2731;--mute:#66727f;--bg:#f7f8fa}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:52rem;margin:0 auto;padding:1rem}h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.1rem;margin:1.75rem 0 .5rem}
.banner{padding:1rem 1.25rem;border-radius:6px;color:#fff;font-weight:600;font-size:1.1rem}
.i-none{background:var(--ok)}.i-minor{background:var(--minor);color:#222}.i-major{background:var(--major)}.i-critical{background:var(--critical)}.i-maintenance{background:var(--maint)}.i-unchecked{background:var(--none);color:var(--fg)}
.note{background:#fff3cd;border:1px solid #e6c65c;padding:.6rem .9rem;border-radius:6px;margin-top:.75rem}
.card{background:#fff;border:1px solid #e3e6ea;border-radius:6px;padding:.9rem 1rem;margin:.5rem 0}
.row{display:flex;justify-content:space-between;align-items:baseline;gap:.5rem;flex-wrap:wrap}.row h3{margin:0;font-size:1rem}
.s{font-weight:600;font-size:.9rem}.s-operational{color:#1e9e4f}.s-degraded_performance{color:#b7950b}.s-partial_outage{color:#ca6f1e}.s-major_outage{color:#c0392b}.s-under_maintenance{color:#2874a6}.s-inactive{color:var(--mute)}
.msg{color:var(--mute);font-size:.85rem;margin:.25rem 0 .5rem;overflow-wrap:anywhere}
.bars{display:flex;gap:1px;height:2rem;align-items:stretch;position:relative}.bars span{flex:1;border-radius:1px;min-width:1px}
.bars span:focus{outline:2px solid var(--fg);outline-offset:1px}.bars span:hover::after,.bars span:focus::after{content:attr(data-tip);position:absolute;left:0;right:0;top:2.3rem;z-index:1;background:var(--fg);color:var(--bg);font-size:.8rem;padding:.3rem .5rem;border-radius:4px;pointer-events:none}
.b-operational{background:var(--ok)}.b-degraded_performance{background:var(--minor)}.b-partial_outage{background:var(--major)}.b-major_outage{background:var(--critical)}.b-maintenance{background:var(--maint)}.b-none{background:var(--none)}
.latency{margin:.5rem 0 0}.latency svg{width:100%;height:2.5rem;display:block}.latency polyline{fill:none;stroke:var(--maint);stroke-width:1.5;vector-effect:non-scaling-stroke}.latency figcaption{color:var(--mute);font-size:.78rem}
.legend{display:flex;justify-content:space-between;color:var(--mute);font-size:.78rem;margin-top:.2rem}
.uptime{display:flex;gap:1rem;flex-wrap:wrap;font-size:.8rem;color:var(--mute);margin-top:.35rem}.uptime b{color:var(--fg);font-weight:600}
.incident h3 a{color:inherit}.imp-minor{border-left:4px solid var(--minor)}.imp-major{border-left:4px solid var(--major)}.imp-critical{border-left:4px solid var(--critical)}.imp-none{border-left:4px solid var(--none)}.imp-maintenance{border-left:4px solid var(--maint)}
.upd{margin:.5rem 0 0;padding:0;list-style:none}.upd li{margin:.35rem 0}.upd b{font-weight:600}.upd small{color:var(--mute)}
form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}input[type=email]{flex:1;min-width:12rem;padding:.5rem;border:1px solid #c8ced4;border-radius:4px;font:inherit}
button{padding:.5rem 1rem;border:0;border-radius:4px;background:var(--fg);color:#fff;font:inherit;cursor:pointer}
fieldset{border:0;padding:0;margin:.25rem 0;display:flex;flex-wrap:wrap;gap:.25rem .9rem;font-size:.85rem;width:100%}
footer{color:var(--mute);font-size:.8rem;margin:2rem 0 1rem}footer a{color:inherit}
@media (max-width:40rem){main{padding:.6rem}.bars{height:1.6rem}}
@media (prefers-color-scheme:dark){:root{--none:#3a4350;--fg:#e6e9ed;--mute:#9aa5b1;--bg:#12161b}.card{background:#1b2128;border-color:#2c343d}
.note{background:#3b3212;border-color:#6b5a1e}input[type=email]{background:#12161b;color:var(--fg);border-color:#3a4350}button{background:#e6e9ed;color:#12161b}
.s-operational{color:#3ddc7a}.s-degraded_performance{color:#f1c40f}.s-partial_outage{color:#f0903a}.s-major_outage{color:#ff6b5b}.s-under_maintenance{color:#5dade2}}
:root{color-scheme:light dark}
`;

/** The day bars by keyboard: one tab stop per component, arrows and Home/End move between days (the focused day's details show). */
const KEYS_SCRIPT = `<script>
document.addEventListener('keydown', (e) => {
  const bar = e.target.closest && e.target.closest('.bars span');
  if (!bar) return;
  const bars = [...bar.parentElement.children];
  const at = bars.indexOf(bar);
  const to = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: bars.length - 1 }[e.key];
  if (to === undefined || !bars[to]) return;
  e.preventDefault();
  bar.tabIndex = -1;
  bars[to].tabIndex = 0;
  bars[to].focus();
});
</script>`;

/** Replaces the page's main element with a fresh one now and then; skipped while someone types in the form or reads a day. */
const refreshScript = (ms: number) => `<script>
setInterval(async () => {
  if (document.activeElement && document.activeElement.closest('form, .bars')) return;
  try {
    const res = await fetch(location.href, { cache: 'no-store' });
    if (!res.ok) return;
    const next = new DOMParser().parseFromString(await res.text(), 'text/html').getElementById('status');
    if (next) document.getElementById('status').replaceWith(next);
  } catch {}
}, ${ms});
</script>`;

function bar(d: DayBar, i: number, days: DayBar[]): string {
  const last = i === days.length - 1;
  const cls = d.worst ?? (d.maintenance ? 'maintenance' : 'none');
  const text = d.worst
    ? `${d.date}: ${pct(d.uptime)} uptime, worst ${STATUS_LABEL[d.worst].toLowerCase()}${d.maintenance ? ', maintenance' : ''}`
    : `${d.date}: ${d.maintenance ? 'maintenance' : 'no data'}`;
  // One tab stop per component (today's bar); the arrow keys move between days (KEYS_SCRIPT).
  return `<span class="b-${cls}" role="img" tabindex="${last ? 0 : -1}" aria-label="${esc(text)}" data-tip="${esc(text)}"></span>`;
}

const DAY_MS = 86_400_000;

/** The last 24 hours' response times as a line (an inline SVG: the page stays one request), with the median and the slowest. */
function latencyChart(name: string, points: { at: Date; ms: number }[], now: Date): string {
  if (points.length < 2) return '';
  const sorted = points.map((p) => p.ms).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const max = sorted[sorted.length - 1]!;
  const from = now.getTime() - DAY_MS;
  const W = 288;
  const H = 40;
  const xy = points.map((p) => `${(((p.at.getTime() - from) / DAY_MS) * W).toFixed(1)},${(H - 2 - (p.ms / max) * (H - 4)).toFixed(1)}`);
  const summary = `Response time, last 24 h: median ${median} ms, slowest ${max} ms`;
  return `<figure class="latency"><svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="${esc(`${name}: ${summary}`)}"><polyline points="${xy.join(' ')}"/></svg>
<figcaption>${esc(summary)}</figcaption></figure>`;
}

function componentCard(c: ComponentView, now: Date): string {
  if (!c.active) {
    const label = !c.lastProbeAt ? 'Not checked yet' : c.upstream ? 'Not reached' : 'Not configured';
    return `<div class="card component" data-component="${c.id}" data-status="inactive"><div class="row"><h3>${esc(c.name)}</h3><span class="s s-inactive">${label}</span></div><p class="msg">${esc(c.lastMessage ?? c.description)}</p></div>`;
  }
  const checked = c.lastProbeAt
    ? `Checked ${when(c.lastProbeAt)}${c.lastLatencyMs !== null ? ` in ${c.lastLatencyMs} ms` : ''}: ${esc(c.lastMessage ?? '')}`
    : 'Not checked yet.';
  const h = c.history;
  const bars = h
    ? `<div class="bars" role="group" aria-label="${esc(c.name)}: last 90 days (arrow keys move between days)">${h.days.map(bar).join('')}</div>
<div class="legend"><span>90 days ago</span><span>${pct(h.uptime.d90)} uptime</span><span>Today</span></div>
<div class="uptime"><span>24 h <b>${pct(h.uptime.d1)}</b></span><span>7 days <b>${pct(h.uptime.d7)}</b></span><span>30 days <b>${pct(h.uptime.d30)}</b></span><span>90 days <b>${pct(h.uptime.d90)}</b></span></div>
${latencyChart(c.name, h.latency, now)}`
    : '';
  return `<div class="card component" data-component="${c.id}" data-status="${c.status}"><div class="row"><h3 title="${esc(c.description)}">${esc(c.name)}</h3><span class="s s-${c.status}">${STATUS_LABEL[c.status]}</span></div>
<p class="msg">${checked}</p>${bars}</div>`;
}

function incidentCard(i: Incident, names: Map<string, string>, link: string): string {
  const affected = i.components.map((id) => names.get(id) ?? id).join(', ');
  const sched =
    i.kind === 'maintenance' && i.scheduledFor
      ? `<p class="msg">Scheduled ${when(i.scheduledFor)} – ${i.scheduledUntil ? when(i.scheduledUntil) : '?'}</p>`
      : '';
  const updates = i.updates
    .map((u) => `<li><b>${esc(words(u.status))}</b> – ${esc(u.body)} <small>${when(u.createdAt)}</small></li>`)
    .join('');
  return `<div class="card incident imp-${i.impact}" data-incident="${i.id}"><div class="row"><h3><a href="${esc(link)}">${esc(i.name)}</a></h3><span class="s">${esc(words(i.status))}</span></div>
${affected ? `<p class="msg">Affects ${esc(affected)}</p>` : ''}${sched}<ul class="upd">${updates}</ul></div>`;
}

function subscribeForm(view: StatusView, emailEnabled: boolean): string {
  if (!emailEnabled) return '';
  // Before the first round nothing is active: no boxes to offer, so no "only some" choice either.
  const boxes = view.components
    .filter((c) => c.active)
    .map((c) => `<label><input type="checkbox" name="components" value="${c.id}"> ${esc(c.name)}</label>`)
    .join('');
  return `<h2>Get emailed when status changes</h2><div class="card"><form method="post" action="/status/subscriptions">
<input type="email" name="email" required placeholder="you@example.com" aria-label="Email address"><button type="submit">Subscribe</button>
${boxes ? `<fieldset><legend class="msg">Only some components (none ticked: all)</legend>${boxes}</fieldset>` : ''}</form></div>`;
}

export interface PageOptions {
  emailEnabled: boolean;
  refreshMs: number;
  /** Show just this incident (the incident's own page, which `shortlink` points to). */
  incident?: Incident;
  /** The fleet's live nodes, shown to operators (requests with an API key). */
  nodes?: NodeRow[];
}

function nodesTable(nodes: NodeRow[]): string {
  const check = (c: NodeCheck | undefined) =>
    c
      ? `<span data-status="${esc(c.observed)}" title="${esc(c.message ?? '')}">${esc(c.observed.replace(/_/g, ' '))}</span>`
      : 'not checked yet';
  const rows = nodes.map(
    (n) =>
      `<tr data-node="${esc(n.instanceId)}"><td>${esc(n.hostname)}<br><small>${esc(n.instanceId)}</small></td><td>${esc(n.baseUrl)}</td><td>${esc(n.version)}</td><td>${when(n.startedAt)}</td><td>${when(n.lastSeen)}</td><td>${check(n.checks.http)}</td><td>${check(n.checks.streaming)}</td></tr>`,
  );
  return `<h2>Nodes</h2><p class="msg">Shown to operators only: every live node of this fleet and its own checks.</p>
<table id="nodes"><thead><tr><th>Node</th><th>URL</th><th>Version</th><th>Started</th><th>Last seen</th><th>HTTP</th><th>Streaming</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function renderPage(view: StatusView, opts: PageOptions): string {
  const names = new Map(view.components.map((c) => [c.id, c.name]));
  const base = view.page.url;
  const link = (i: Incident) => `${base}/incidents/${i.id}`;
  const maintenanceNow = view.description === 'Service Under Maintenance';
  // Before the first round nothing is known: a grey banner, not a green "All Systems Operational".
  const unchecked =
    !maintenanceNow && view.components.some((c) => !c.upstream) && view.components.every((c) => c.upstream || !c.lastProbeAt);
  const local = view.components.filter((c) => !c.upstream);
  const upstream = view.components.filter((c) => c.upstream);
  const upcoming = view.maintenances.filter((m) => m.status !== 'completed');
  const weekAgo = Date.now() - 14 * 86_400_000;
  const past = view.incidents.filter((i) => !view.unresolved.includes(i) && i.createdAt.getTime() > weekAgo);
  const title = opts.incident ? `${opts.incident.name} – ${view.page.name} status` : `${view.page.name} status`;

  const body = opts.incident
    ? `<p><a href="${esc(base)}">← ${esc(view.page.name)} status</a></p>${incidentCard(opts.incident, names, link(opts.incident))}`
    : `${view.unresolved.length ? `<h2>Incidents</h2>${view.unresolved.map((i) => incidentCard(i, names, link(i))).join('')}` : ''}
${upcoming.length ? `<h2>Scheduled maintenance</h2>${upcoming.map((m) => incidentCard(m, names, link(m))).join('')}` : ''}
<h2>Components</h2>${local.map((c) => componentCard(c, view.generatedAt)).join('')}
${opts.nodes ? nodesTable(opts.nodes) : ''}
${upstream.length ? `<h2>Upstream services</h2><p class="msg">As their own status pages report them; not part of this server's status above.</p>${upstream.map((c) => componentCard(c, view.generatedAt)).join('')}` : ''}
<h2>Past incidents</h2>${past.length ? past.map((i) => incidentCard(i, names, link(i))).join('') : '<p class="msg">No incidents in the last 14 days.</p>'}
<p class="msg"><a href="${esc(base)}/history">Incident history, month by month →</a></p>
${subscribeForm(view, opts.emailEnabled)}`;

  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><link rel="alternate" type="application/atom+xml" title="Incidents" href="/status/history.atom"><link rel="alternate" type="application/rss+xml" title="Incidents" href="/status/history.rss">
<style>${CSS}</style></head><body><main id="status" data-indicator="${view.indicator}" data-generated="${view.generatedAt.toISOString()}">
<h1>${esc(view.page.name)} status</h1>
<div class="banner i-${maintenanceNow ? 'maintenance' : unchecked ? 'unchecked' : view.indicator}" id="indicator">${unchecked ? 'Not checked yet: the first checks run shortly after the server starts.' : esc(view.description)}</div>
${view.live ? '' : '<p class="note">The database cannot be reached: this is what this server measured last. History and past incidents are back once the database is.</p>'}
${body}
<footer>Updated ${when(view.generatedAt)} · <a href="/api/v2/summary.json">JSON</a> · <a href="/status/history.rss">RSS</a> · <a href="/status/history.atom">Atom</a> · <a href="/status/badge.svg">Badge</a></footer>
</main>${refreshScript(opts.refreshMs)}${KEYS_SCRIPT}</body></html>`;
}

/** `/status/history?month=YYYY-MM`: one month's incidents and maintenances, newest first, with links to the months around it. */
export function renderHistory(view: StatusView, month: string, items: Incident[], hasOlder: boolean): string {
  const names = new Map(view.components.map((c) => [c.id, c.name]));
  const base = view.page.url;
  const [y, m] = month.split('-').map(Number) as [number, number];
  const shift = (by: number) => new Date(Date.UTC(y, m - 1 + by, 1)).toISOString().slice(0, 7);
  const label = new Date(Date.UTC(y, m - 1, 1)).toLocaleString('en', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  const thisMonth = new Date().toISOString().slice(0, 7);
  const nav = `<nav class="row msg">${hasOlder ? `<a href="${esc(base)}/history?month=${shift(-1)}">← ${shift(-1)}</a>` : '<span></span>'}${
    month < thisMonth ? `<a href="${esc(base)}/history?month=${shift(1)}">${shift(1)} →</a>` : '<span></span>'
  }</nav>`;
  const cards = items.length
    ? items.map((i) => incidentCard(i, names, `${base}/incidents/${i.id}`)).join('')
    : `<p class="msg">No incidents or maintenance in ${esc(label)}.</p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(`${label} – ${view.page.name} status history`)}</title><style>${CSS}</style></head><body><main id="history" data-month="${month}">
<p><a href="${esc(base)}">← ${esc(view.page.name)} status</a></p><h1>Incident history: ${esc(label)}</h1>${nav}${cards}${nav}
</main>${KEYS_SCRIPT}</body></html>`;
}

/** Small pages for the subscription links. */
export function renderMessage(view: Pick<StatusView, 'page'>, heading: string, text: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(heading)}</title><style>${CSS}</style></head>
<body><main><h1>${esc(heading)}</h1><div class="card"><p>${esc(text)}</p></div><p><a href="${esc(view.page.url)}">← ${esc(view.page.name)} status</a></p></main></body></html>`;
}
