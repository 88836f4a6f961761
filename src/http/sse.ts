import type { FastifyReply } from 'fastify';

/**
 * Server-sent events on a reply, started on the first event, so that a failure before it is still a plain HTTP error
 * with its status code.
 */
export class SseStream {
  private started = false;

  constructor(private readonly reply: FastifyReply) {}

  get open(): boolean {
    return this.started;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.reply.hijack();
    this.reply.raw.writeHead(200, {
      ...(this.reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
  }

  /** One event: `data` as JSON, under `event` when named. */
  send(data: unknown, event?: string): void {
    this.start();
    this.reply.raw.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends the stream, after a last raw `data:` line when given (OpenAI's `[DONE]`). */
  end(lastData?: string): void {
    this.start();
    this.reply.raw.end(lastData === undefined ? undefined : `data: ${lastData}\n\n`);
  }
}
