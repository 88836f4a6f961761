import type { ComponentStatus, Indicator } from './model.js';

const COLOR = { green: '#2fcc66', yellow: '#dfb317', orange: '#e67e22', red: '#e05d44', blue: '#3498db', grey: '#9f9f9f' };

/** Width of text in 11 px Verdana, near enough (shields.io measures, we estimate). */
const width = (s: string) =>
  Math.round([...s].reduce((w, c) => w + (/[il.,:;|!' ]/.test(c) ? 3.5 : /[mwMW%]/.test(c) ? 10 : /[A-Z0-9]/.test(c) ? 7.5 : 6.5), 0)) + 10;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A flat two-part badge, in the shape shields.io made common. */
export function badge(label: string, message: string, color: keyof typeof COLOR): string {
  const lw = width(label);
  const mw = width(message);
  const w = lw + mw;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${esc(label)}: ${esc(message)}"><title>${esc(label)}: ${esc(message)}</title>
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${mw}" height="20" fill="${COLOR[color]}"/><rect width="${w}" height="20" fill="url(#s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
<text x="${lw / 2}" y="14">${esc(label)}</text><text x="${lw + mw / 2}" y="14">${esc(message)}</text></g></svg>
`;
}

const STATUS_BADGE: Record<ComponentStatus, [string, keyof typeof COLOR]> = {
  operational: ['operational', 'green'],
  degraded_performance: ['degraded', 'yellow'],
  partial_outage: ['partial outage', 'orange'],
  major_outage: ['major outage', 'red'],
  under_maintenance: ['maintenance', 'blue'],
};

const INDICATOR_COLOR: Record<Indicator, keyof typeof COLOR> = { none: 'green', minor: 'yellow', major: 'orange', critical: 'red' };

export const statusBadge = (label: string, status: ComponentStatus) => badge(label, ...STATUS_BADGE[status]);
export const pageBadge = (label: string, indicator: Indicator, description: string) =>
  badge(label, description.toLowerCase(), INDICATOR_COLOR[indicator]);
export const inactiveBadge = (label: string, text: string) => badge(label, text, 'grey');

/** Green at 99.9 % and up, as uptime badges usually are. */
export function uptimeBadge(label: string, uptime: number | null): string {
  if (uptime === null) return badge(label, 'no data', 'grey');
  const color = uptime >= 0.999 ? 'green' : uptime >= 0.99 ? 'yellow' : uptime >= 0.95 ? 'orange' : 'red';
  return badge(label, `${(Math.floor(uptime * 10_000) / 100).toFixed(2)}%`, color);
}
