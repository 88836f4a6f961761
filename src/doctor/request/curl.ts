/** curl's arguments, as the request they make: the options that shape it, and which of the rest take a value. */
import type { DataFlag, ParsedRequest } from './parsed.js';
import type { ShellNotes } from './tokenize.js';

const SHORT_WITH_VALUE = new Set('bcCdDeEFHKmoPQrtTuUwxXyYzA'.split(''));
const LONG_WITH_VALUE = new Set(
  (
    'request header data data-raw data-binary data-ascii data-urlencode json form form-string user upload-file url user-agent referer cookie cookie-jar output ' +
    'max-time connect-timeout write-out proxy proxy-user retry retry-delay retry-max-time cacert capath cert key range config dump-header limit-rate resolve ' +
    'connect-to interface oauth2-bearer max-redirs expect100-timeout keepalive-time unix-socket variable trace trace-ascii stderr ciphers cert-type key-type pass'
  ).split(' '),
);

function addData(req: ParsedRequest, flag: DataFlag, value: string) {
  const readsFile = flag !== '--data-raw' && value.startsWith('@');
  req.data.push({ flag, text: readsFile ? '' : value, file: readsFile ? value.slice(1) : null });
}

export function parseCurl(words: string[], notes: ShellNotes): ParsedRequest {
  const req: ParsedRequest = {
    tool: 'curl',
    method: '',
    url: null,
    headers: [],
    data: [],
    form: [],
    uploadFile: null,
    basicAuth: null,
    get: false,
    notes,
  };
  let head = false;
  const take = (opt: string, value: string | undefined) => {
    if (value === undefined) return;
    switch (opt) {
      case 'X':
      case 'request':
        req.method = value.toUpperCase();
        break;
      case 'H':
      case 'header': {
        const colon = value.indexOf(':');
        if (colon <= 0) req.headers.push({ name: value.trim(), value: '', malformed: !value.trim().endsWith(';') });
        else req.headers.push({ name: value.slice(0, colon).trim(), value: value.slice(colon + 1).trim(), malformed: false });
        break;
      }
      case 'd':
      case 'data':
      case 'data-ascii':
        addData(req, '-d', value);
        break;
      case 'data-raw':
      case 'data-binary':
      case 'data-urlencode':
      case 'json':
        addData(req, `--${opt}` as DataFlag, value);
        if (opt === 'json') {
          req.headers.push({ name: 'Content-Type', value: 'application/json', malformed: false });
        }
        break;
      case 'F':
      case 'form':
      case 'form-string': {
        const eq = value.indexOf('=');
        const v = value.slice(eq + 1);
        req.form.push({
          name: value.slice(0, eq),
          value: v,
          file: opt !== 'form-string' && (v.startsWith('@') || v.startsWith('<')) ? v.slice(1).replace(/;.*$/, '') : null,
        });
        break;
      }
      case 'T':
      case 'upload-file':
        req.uploadFile = value;
        break;
      case 'u':
      case 'user':
        req.basicAuth = value;
        break;
      case 'url':
        req.url ??= value;
        break;
      case 'oauth2-bearer':
        req.headers.push({ name: 'Authorization', value: `Bearer ${value}`, malformed: false });
        break;
    }
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith('--') && w.length > 2) {
      const name = w.slice(2);
      if (LONG_WITH_VALUE.has(name)) take(name, words[++i]);
      else if (name === 'get') req.get = true;
      else if (name === 'head') head = true;
    } else if (w.startsWith('-') && w.length > 1) {
      for (let j = 1; j < w.length; j++) {
        const c = w[j]!;
        if (SHORT_WITH_VALUE.has(c)) {
          take(c, j + 1 < w.length ? w.slice(j + 1) : words[++i]);
          break;
        }
        if (c === 'G') req.get = true;
        if (c === 'I') head = true;
      }
    } else {
      req.url ??= w;
    }
  }
  if (!req.method) {
    req.method = head ? 'HEAD' : req.get ? 'GET' : req.data.length || req.form.length ? 'POST' : req.uploadFile ? 'PUT' : 'GET';
  }
  return req;
}
