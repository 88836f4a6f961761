import { pino, destination, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stderr, so stdout stays free for CLI output such as a printed API key. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'earshot' } }, destination(2));
}
