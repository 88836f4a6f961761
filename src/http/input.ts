import { errors, type ApiError } from './errors.js';

/**
 * Strings no request may carry anywhere: PostgreSQL cannot store a NUL (`\u0000`) in text or jsonb, nor a
 * lone UTF-16 surrogate (`\ud800` alone), so either one would fail deep in an INSERT as a 500. Checked on
 * every JSON body and query string, keys included, before any route sees them.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function problem(s: string): string | null {
  if (s.includes('\u0000')) return 'a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(s)) return 'a lone UTF-16 surrogate (invalid Unicode)';
  return null;
}

/** Where in `value` the first unstorable string is, e.g. `questions[0].question`, or null when all are fine. */
function findBadString(value: unknown, where: string): { where: string; what: string } | null {
  if (typeof value === 'string') {
    const what = problem(value);
    return what ? { where, what } : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBadString(value[i], `${where}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const name = where ? `${where}.${k}` : k;
      const what = problem(k);
      if (what) return { where: `a field name in ${where || 'the body'}`, what };
      const found = findBadString(v, name);
      if (found) return found;
    }
  }
  return null;
}

/** The 400 for a parsed body (`source` "body") or query string ("query") that holds an unstorable string. */
export function unstorableStringError(value: unknown, source: 'body' | 'query'): ApiError | null {
  const found = findBadString(value, '');
  if (!found) return null;
  const where = found.where || (source === 'body' ? 'the body' : 'the query string');
  return errors.invalidParam(`${where} must not contain ${found.what}`);
}

/** Headers the webhook sender sets itself, or that would change how its request is framed or routed. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-connection',
]);
/** RFC 9110 token: what a header name may be. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field value characters Node's HTTP client sends (no CR, LF, NUL or other controls). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Why a webhook's auth header cannot be sent, or null. Checked when the transcript or session is created,
 * so a bad header is a 400 then, not ten failed deliveries later.
 */
export function webhookHeaderProblem(name: string, value: string): string | null {
  if (name === '') return 'webhook_auth_header_name must not be empty';
  if (!HEADER_NAME.test(name)) {
    return "webhook_auth_header_name must be an HTTP header name: letters, digits and !#$%&'*+-.^_`|~ only (no spaces, colons or line breaks)";
  }
  if (RESERVED_HEADERS.has(name.toLowerCase())) return `webhook_auth_header_name must not be ${name}: Earshot sets that header itself`;
  if (!HEADER_VALUE.test(value))
    return 'webhook_auth_header_value must not contain line breaks or other control characters, nor characters beyond U+00FF';
  return null;
}

/** True for an absolute http: or https: URL (webhook targets; a file: or ftp: one would only fail at delivery). */
export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
