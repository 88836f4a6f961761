import type { DoctorContext } from './context.js';
import { findingsFor, type Finding } from './finding.js';
import { ApiClient, errorText, NetError, type HttpAnswer } from './http.js';

const f = findingsFor('auth');
const PROBE = '/v2/transcript?limit=1';
export const CLOUD_REGIONS = ['https://api.assemblyai.com', 'https://api.eu.assemblyai.com'];

/** One way a key goes wrong on its way into the header, and how it is undone. */
interface Flaw {
  name: string;
  /** Does this flaw break the key on AssemblyAI's cloud even where this server forgives it? */
  breaksUpstream: boolean;
  describe: string;
  fix: string;
}

const QUOTES = /^["'“”‘’`](.*)["'“”‘’`]$/s;
const WHITESPACE = /^[\s\u200b\u00a0\ufeff]+|[\s\u200b\u00a0\ufeff]+$/g;
export const PLACEHOLDER =
  /^(<[^>]*>|\{\{?[^}]*\}?\}|your[_ -]?(api[_ -]?)?(key|token)|api[_ -]?key|<?(xxx+|\.\.\.|…)>?|YOUR_API_KEY|KEY)$/i;
export const UNEXPANDED = /^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$|^%[A-Za-z_][A-Za-z0-9_]*%$/;
const AUTH_SCHEME = /^(bearer|token|basic|apikey|api-key|key)\s+/i;

/** Undoes the usual mistakes one by one; the flaws found explain a 401 if the cleaned key works. */
export function cleanKey(value: string): { key: string; flaws: Flaw[] } {
  const flaws: Flaw[] = [];
  let v = value;
  if (v !== v.replace(WHITESPACE, '')) {
    // HTTP itself strips spaces and tabs around a header value; line breaks and invisible characters stay.
    const invisible = /[\r\n\u200b\u00a0\ufeff]/.test(v.match(WHITESPACE)?.join('') ?? '');
    v = v.replace(WHITESPACE, '');
    flaws.push({
      name: 'key_whitespace',
      breaksUpstream: invisible,
      describe: 'The key has spaces or a line break around it (read from a file or pasted).',
      fix: 'Strip whitespace and newlines from the key (e.g. $(tr -d "\\n" < key.txt), .strip(), .trim()).',
    });
  }
  const scheme = AUTH_SCHEME.exec(v);
  if (scheme) {
    v = v.slice(scheme[0].length);
    const bearer = /^bearer/i.test(scheme[1]!);
    flaws.push({
      name: bearer ? 'bearer_prefix' : 'auth_scheme',
      breaksUpstream: true,
      describe: `The key is sent as "${scheme[1]} KEY"; AssemblyAI expects the bare key.`,
      fix: `Send "Authorization: KEY" with no "${scheme[1]} " prefix.`,
    });
  }
  const quoted = QUOTES.exec(v);
  if (quoted) {
    v = quoted[1]!;
    flaws.push({
      name: 'key_quoted',
      breaksUpstream: true,
      describe: 'The key is wrapped in quote marks, which are sent as part of it.',
      fix: 'Remove the quotes around the key (check .env files and shell quoting).',
    });
  }
  return { key: v, flaws };
}

async function tryKey(api: ApiClient, headerName: string, value: string): Promise<HttpAnswer | NetError> {
  try {
    return await api.call('GET', PROBE, { headers: { [headerName]: value }, timeoutMs: 10_000 });
  } catch (err) {
    return err as NetError;
  }
}

const ok = (a: HttpAnswer | NetError): boolean => !(a instanceof NetError) && a.status >= 200 && a.status < 300;
const statusOf = (a: HttpAnswer | NetError) => (a instanceof NetError ? `no answer (${a.code ?? a.kind})` : a.status);

function keyHelp(ctx: DoctorContext): string {
  return ctx.kind === 'assemblyai'
    ? 'Copy the key again from the AssemblyAI dashboard (API Keys page).'
    : "List the server's keys with `earshot keys list` and create one with `earshot keys create` (beside a running server on the embedded database, add " +
        '`--api-key` with a key of its "default" project), or restart the server with EARSHOT_API_KEY set to a key of your choice.';
}

/** Other hosts the key might belong to: for the cloud, the other region. */
function alternates(ctx: DoctorContext): string[] {
  if (ctx.opts.alternateBaseUrls) return ctx.opts.alternateBaseUrls;
  if (ctx.kind !== 'assemblyai' || ctx.vantage === 'server') return [];
  return CLOUD_REGIONS.filter((r) => new URL(r).host !== ctx.base.host);
}

/**
 * Auth: sends the key as presented; on a 401 tries the variants (bare key, other header, other
 * region) to tell which mistake it is. Sets `ctx.key` to the key that works.
 */
export async function checkAuth(ctx: DoctorContext): Promise<Finding[]> {
  const out: Finding[] = [];
  const headerName = (ctx.opts.authHeaderName ?? 'authorization').trim();
  const presented = ctx.opts.apiKey ?? null;
  ctx.authOk = false;

  if (presented === null || presented.trim() === '') {
    const none = await tryKey(ctx.api, 'x-earshot-doctor', '1');
    out.push(
      f.fail(
        'missing_key',
        'No API key was given, so every request is refused (401).',
        `Pass --api-key KEY or set ${ctx.kind === 'assemblyai' ? 'ASSEMBLYAI_API_KEY' : 'EARSHOT_API_KEY'}, and send it as "Authorization: KEY".`,
        { without_key: statusOf(none) },
      ),
    );
    return out;
  }
  if (UNEXPANDED.test(presented.trim())) {
    out.push(
      f.fail(
        'key_unexpanded',
        `The key is the literal text "${presented.trim()}": the variable was never expanded.`,
        'Use double quotes in the shell ("authorization: $KEY"), and check the variable is set (echo "$KEY").',
      ),
    );
    return out;
  }
  if (PLACEHOLDER.test(presented.trim())) {
    out.push(f.fail('key_placeholder', `The key is a placeholder ("${presented.trim()}"), not a real key.`, keyHelp(ctx)));
    return out;
  }

  const wrongHeader = headerName.toLowerCase() !== 'authorization';
  const asSent = await tryKey(ctx.api, headerName, presented);
  const { key, flaws } = cleanKey(presented);
  const evidence: Record<string, unknown> = { header: headerName, as_sent: statusOf(asSent) };

  if (asSent instanceof NetError && asSent.kind === 'invalid') {
    // Node refuses header values with line breaks before anything is sent; clients that send them get a 400 or a 401.
    evidence.as_sent = `not sendable (${asSent.code})`;
  } else if (asSent instanceof NetError) {
    out.push(
      f.fail('no_answer', `The auth probe got no answer: ${asSent.message}.`, 'Fix reachability first (see the reach findings).', evidence),
    );
    return out;
  }

  if (ok(asSent)) {
    ctx.key = presented;
    ctx.authOk = true;
    if (wrongHeader) {
      out.push(
        f.warn(
          'wrong_header',
          `The key works here in "${headerName}", but AssemblyAI reads it only from "Authorization".`,
          'Send it as "Authorization: KEY".',
          evidence,
        ),
      );
    }
    for (const flaw of flaws) {
      // This server forgives it (Earshot strips "Bearer" and whitespace); the cloud does not.
      if (ctx.kind === 'assemblyai' || !flaw.breaksUpstream) continue;
      out.push(f.warn(flaw.name, `${flaw.describe} This server accepts it; AssemblyAI's cloud answers 401.`, flaw.fix, evidence));
    }
    ctx.key = key;
    if (!wrongHeader && flaws.length === 0) out.push(f.pass('ok', 'The key is accepted ("Authorization: KEY").', undefined, evidence));
    return out;
  }

  if (!(asSent instanceof NetError) && asSent.status !== 401 && asSent.status !== 403) {
    if (asSent.status === 429)
      out.push(
        f.warn(
          'rate_limited',
          'The API answers 429 Too Many Requests.',
          `Back off and retry (Retry-After: ${asSent.headers['retry-after'] ?? '?'}).`,
          evidence,
        ),
      );
    else
      out.push(
        f.fail(
          'unexpected_status',
          `The auth probe answered ${asSent.status}: ${errorText(asSent)}.`,
          'See the reach findings; the server may be failing.',
          evidence,
        ),
      );
    return out;
  }

  // Rejected: undo the mistakes one at a time to name the one that matters.
  const fixed = wrongHeader || flaws.length > 0 ? await tryKey(ctx.api, 'authorization', key) : asSent;
  evidence.bare_key_in_authorization = statusOf(fixed);
  if (ok(fixed)) {
    ctx.key = key;
    ctx.authOk = true;
    if (wrongHeader) {
      out.push(
        f.fail(
          'wrong_header',
          `The key is sent in "${headerName}", which the API does not read (401); in "Authorization" it works.`,
          'Send it as "Authorization: KEY".',
          evidence,
        ),
      );
    }
    for (const flaw of flaws)
      out.push(f.fail(flaw.name, `${flaw.describe} As sent: ${evidence.as_sent}; the bare key works.`, flaw.fix, evidence));
    return out;
  }

  for (const alt of alternates(ctx)) {
    const other = new ApiClient(new URL(alt));
    try {
      const a = await tryKey(other, 'authorization', key);
      evidence[`at_${new URL(alt).host}`] = statusOf(a);
      if (ok(a)) {
        out.push(
          f.fail(
            'wrong_region',
            `The key belongs to ${new URL(alt).host}, not ${ctx.base.host}.`,
            `Use ${new URL(alt).origin} as the base URL (keys and transcripts live in one region).`,
            evidence,
          ),
        );
        return out;
      }
    } finally {
      await other.close();
    }
  }

  for (const flaw of flaws) out.push(f.fail(flaw.name, flaw.describe, flaw.fix, evidence));
  if (wrongHeader)
    out.push(
      f.fail(
        'wrong_header',
        `The key is sent in "${headerName}"; the API reads only "Authorization".`,
        'Send it as "Authorization: KEY".',
        evidence,
      ),
    );
  out.push(
    f.fail(
      'key_invalid',
      `The key is not valid on ${ctx.base.host} (401 ${asSent instanceof NetError ? '' : errorText(asSent)}).`.replace(' )', ')'),
      keyHelp(ctx),
      evidence,
    ),
  );
  return out;
}
