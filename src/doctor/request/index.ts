/**
 * The pasted-request check: reads a curl command or a raw HTTP request (tokenize.ts, curl.ts,
 * raw-http.ts), works out what follows from it (facts.ts) and runs the table of rules (rules.ts)
 * against the API's real routes (routes.ts) and field tables (schema.ts).
 */
import { existsSync } from 'node:fs';
import { findingsFor, type Finding } from '../finding.js';
import { parseCurl } from './curl.js';
import { factsOf } from './facts.js';
import type { ParsedRequest } from './parsed.js';
import { parseRawHttp } from './raw-http.js';
import { RULES, runRules, SHELL_RULES } from './rules.js';
import { shellWords } from './tokenize.js';

export type { Header, ParsedRequest } from './parsed.js';
export { suggestField } from './fields.js';
export { shellWords, type ShellNotes } from './tokenize.js';

const f = findingsFor('request');

/** A pasted `curl …` command (bash, cmd or PowerShell line breaks) or a raw HTTP request. */
export function parsePastedRequest(text: string, env: Record<string, string | undefined> = {}): ParsedRequest | null {
  const raw = parseRawHttp(text);
  if (raw) return raw;
  const { words, notes } = shellWords(text, env);
  const at = words.findIndex((w) => /(^|[\\/])curl(\.exe)?$/i.test(w.value));
  if (at < 0) return null;
  return parseCurl(
    words.slice(at + 1).map((w) => w.value),
    notes,
  );
}

export interface RequestCheck {
  parsed: ParsedRequest | null;
  findings: Finding[];
  /** The key and header name as the request sends them, for the live auth check. */
  auth: { headerName: string; value: string } | null;
  /** Origin of the request's URL, for the live checks. */
  origin: string | null;
}

/** The URL the request goes to, or why no further check can run: none, not a URL, or a WebSocket curl cannot stream to. */
function targetOf(req: ParsedRequest): URL | Finding {
  if (!req.url) return f.fail('missing_url', 'The request has no URL.', 'Add the full URL, e.g. https://api.assemblyai.com/v2/transcript.');
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(req.url) ? req.url : `https://${req.url}`);
  } catch {
    return f.fail('bad_url', `"${req.url}" is not a URL.`, 'Use the full URL, e.g. https://api.assemblyai.com/v2/transcript.');
  }
  if (url.protocol === 'ws:' || url.protocol === 'wss:')
    return f.fail(
      'websocket_with_curl',
      `${url.protocol}// is a streaming WebSocket: curl cannot stream audio to it.`,
      "Use an SDK's streaming client, earshot stream FILE, or a WebSocket tool (websocat).",
    );
  return url;
}

/**
 * Reads a pasted request (curl or raw HTTP) and points at its mistakes: auth header form, method
 * and path, upload flags and Content-Type, and the JSON body's field names and types against the
 * OpenAPI schema. Header-name case is fine and never reported.
 */
export function checkPastedRequest(
  text: string,
  opts: {
    env?: Record<string, string | undefined>;
    fileExists?: (path: string) => boolean;
    readFile?: (path: string) => string | null;
  } = {},
): RequestCheck {
  const req = parsePastedRequest(text, opts.env ?? {});
  if (!req) {
    return {
      parsed: null,
      findings: [
        f.fail(
          'unparsable',
          'This is neither a curl command nor a raw HTTP request.',
          'Paste the full command starting with curl, or the request starting with e.g. "POST /v2/transcript HTTP/1.1".',
        ),
      ],
      auth: null,
      origin: null,
    };
  }
  const notes = runRules(SHELL_RULES, req);
  const target = targetOf(req);
  if (!(target instanceof URL)) return { parsed: req, findings: [...notes, target], auth: null, origin: null };
  const facts = factsOf(req, target, { fileExists: opts.fileExists ?? existsSync, readFile: opts.readFile });
  const key = facts.authHeaders[0] ?? facts.altHeader;
  return {
    parsed: req,
    findings: runRules(RULES, facts, notes),
    auth: key ? { headerName: key.name, value: key.value } : null,
    origin: target.origin,
  };
}
