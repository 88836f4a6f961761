import { pino, destination, stdSerializers, type DestinationStream, type Logger } from 'pino';

export type { Logger };

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

/** Structured JSON logs on stderr, so stdout stays free for CLI output such as a printed API key. */
export function createLogger(level: string, stream: DestinationStream = destination(2)): Logger {
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
      },
    },
    stream,
  );
}
