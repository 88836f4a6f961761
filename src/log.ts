import { pino, destination, type Logger } from 'pino';

export type { Logger };

/** Query parameters that carry credentials (streaming tokens, webhook secrets) never reach the logs. */
const SECRET_PARAMS = /([?&](?:token|webhook_auth_header_value|api_key)=)[^&]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]');
}

/** Structured JSON logs on stderr, so stdout stays free for CLI output such as a printed API key. */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: 'earshot' },
      serializers: {
        req: (req: { method?: string; url?: string; hostname?: string; ip?: string }) => ({
          method: req.method,
          url: req.url && redactUrl(req.url),
          host: req.hostname,
          remoteAddress: req.ip,
        }),
      },
    },
    destination(2),
  );
}
