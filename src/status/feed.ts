import type { Incident } from './store/incidents.js';
import type { StatusView } from './view.js';

/** Incident history feeds (as Statuspage pages offer at history.rss and history.atom): one entry per incident or maintenance. */

const xml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const words = (s: string) => s.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

function entries(view: StatusView): Incident[] {
  return [...view.incidents, ...view.maintenances].sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime()).slice(0, 50);
}

/** The updates, newest first, as the HTML Statuspage puts in its feed items. */
function content(i: Incident): string {
  return i.updates
    .map((u) => `<p><small>${u.createdAt.toUTCString()}</small><br><strong>${xml(words(u.status))}</strong> - ${xml(u.body)}</p>`)
    .join('');
}

export function rssFeed(view: StatusView): string {
  const items = entries(view)
    .map((i) => {
      const link = `${view.page.url}/incidents/${i.id}`;
      return `<item><title>${xml(i.name)}</title><description>${xml(content(i))}</description><pubDate>${i.createdAt.toUTCString()}</pubDate><link>${xml(link)}</link><guid isPermaLink="false">${i.id}</guid></item>`;
    })
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>${xml(view.page.name)} status - Incident history</title><link>${xml(view.page.url)}</link><description>Statuspage</description>
<atom:link href="${xml(view.page.url)}/history.rss" rel="self" type="application/rss+xml"/><lastBuildDate>${view.page.updatedAt.toUTCString()}</lastBuildDate>
${items}
</channel></rss>
`;
}

export function atomFeed(view: StatusView): string {
  const items = entries(view)
    .map((i) => {
      const link = `${view.page.url}/incidents/${i.id}`;
      return `<entry><id>tag:earshot,2025:incident/${i.id}</id><published>${i.createdAt.toISOString()}</published><updated>${i.updatedAt.toISOString()}</updated><link rel="alternate" type="text/html" href="${xml(link)}"/><title>${xml(i.name)}</title><content type="html">${xml(content(i))}</content></entry>`;
    })
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xml:lang="en-US" xmlns="http://www.w3.org/2005/Atom">
<id>tag:earshot,2025:${view.page.id}/history</id><link rel="alternate" type="text/html" href="${xml(view.page.url)}"/><link rel="self" type="application/atom+xml" href="${xml(view.page.url)}/history.atom"/>
<title>${xml(view.page.name)} status - Incident History</title><updated>${view.page.updatedAt.toISOString()}</updated><author><name>${xml(view.page.name)}</name></author>
${items}
</feed>
`;
}
