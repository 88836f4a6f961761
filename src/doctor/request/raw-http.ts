/** A raw HTTP request ("POST /v2/transcript HTTP/1.1", headers, a blank line, the body), as pasted from a proxy or a log. */
import type { Header, ParsedRequest } from './parsed.js';

export function parseRawHttp(text: string): ParsedRequest | null {
  const [headPart, ...rest] = text.replace(/^\s+/, '').split(/\r?\n\r?\n/);
  const lines = headPart!.split(/\r?\n/);
  const start = /^(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS)\s+(\S+)(?:\s+HTTP\/\d(?:\.\d)?)?\s*$/i.exec(lines[0]!.trim());
  if (!start) return null;
  const headers: Header[] = lines
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => {
      const colon = l.indexOf(':');
      return colon <= 0
        ? { name: l.trim(), value: '', malformed: true }
        : { name: l.slice(0, colon).trim(), value: l.slice(colon + 1).trim(), malformed: false };
    });
  let url = start[2]!;
  if (!/^[a-z]+:\/\//i.test(url)) {
    const host = headers.find((h) => h.name.toLowerCase() === 'host')?.value ?? null;
    url = host ? `${/assemblyai\.com$/i.test(host) ? 'https' : 'http'}://${host}${url}` : url;
  }
  const body = rest.join('\n\n');
  return {
    tool: 'http',
    method: start[1]!.toUpperCase(),
    url,
    headers,
    data: body.trim() ? [{ flag: 'body', text: body, file: null }] : [],
    form: [],
    uploadFile: null,
    basicAuth: null,
    get: false,
    notes: { singleQuotedVars: [], unsetVars: [], smartQuotes: false },
  };
}
