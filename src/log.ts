import { pino, destination, stdSerializers, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** `auto`: readable lines when both stdout and stderr are a terminal (someone is watching), JSON otherwise. */
export type LogFormat = 'auto' | 'pretty' | 'json';

/** Query parameters that carry credentials (streaming tokens, webhook secrets) never reach the logs. */
const SECRET_PARAMS = /([?&](?:token|webhook_auth_header_value|api_key)=)[^&]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]');
}

/** Fields that hold request secrets (API keys, auth header values, webhook secrets), wherever a log line carries them. */
const SECRET_FIELDS = ['authorization', 'apiKey', 'llmApiKey', 'webhook_auth_header_value', 'secret'];
const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]).concat('req.headers.authorization');

/**
 * What a database error carries besides its message: PGlite attaches the statement's `params` (a whole
 * transcript INSERT, webhook secret included) and PostgreSQL's `where` can quote the data. Neither is logged.
 */
const ERROR_DATA = ['params', 'parameters', 'queryOptions', 'where'];

function errSerializer(err: Error): Record<string, unknown> {
  const out = stdSerializers.err(err) as unknown as Record<string, unknown>;
  for (const k of ERROR_DATA) delete out[k];
  return out;
}

/** A request line as a person reads it: `GET /v2/transcript → 200 (4 ms)`. */
function prettyMessage(log: Record<string, unknown>, messageKey: string): string {
  const req = log.req as { method?: string; url?: string } | undefined;
  const res = log.res as { statusCode?: number } | undefined;
  const msg = String(log[messageKey] ?? '');
  if (!req?.method) return msg;
  const ms = typeof log.responseTime === 'number' ? ` (${Math.round(log.responseTime)} ms)` : '';
  return `${req.method} ${req.url}${res?.statusCode ? ` → ${res.statusCode}${ms}` : ''}${msg === 'request completed' ? '' : `: ${msg}`}`;
}

function prettyStream(to: DestinationStream | number, colorize: boolean): DestinationStream {
  return pretty({
    destination: to,
    sync: true,
    colorize,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,service,req,res,responseTime,reqId',
    messageFormat: prettyMessage,
  });
}

/**
 * Logs on stderr, so stdout stays free for CLI output such as a printed API key: JSON (one object a line,
 * for collectors), or readable lines on a terminal.
 */
export function createLogger(level: string, stream?: DestinationStream, format: LogFormat = 'json'): Logger {
  const tty = process.stdout.isTTY === true && process.stderr.isTTY === true;
  const readable = format === 'pretty' || (format === 'auto' && tty);
  const out = readable ? prettyStream(stream ?? 2, tty && !process.env.NO_COLOR) : (stream ?? destination(2));
  return pino(
    {
      level,
      base: { service: 'earshot' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        err: errSerializer,
        req: (req: { method?: string; url?: string; hostname?: string; ip?: string }) => ({
          method: req.method,
          url: req.url && redactUrl(req.url),
          host: req.hostname,
          remoteAddress: req.ip,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    out,
  );
}
