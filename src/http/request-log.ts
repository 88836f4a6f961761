import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

type Level = 'info' | 'debug';

/**
 * Fastify's request lines at `debug` (one per request, when it completes), or at `info` with
 * EARSHOT_LOG_REQUESTS: clients poll constantly, and an info line per poll buries what matters.
 * Failed requests are still logged at `error`.
 */
class RequestLog extends LogController {
  constructor(private readonly level: Level) {
    super();
  }

  override incomingRequest(request: FastifyRequest): void {
    request.log.trace({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log[this.level]({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

export function requestLog(logRequests: boolean): LogController {
  return new RequestLog(logRequests ? 'info' : 'debug');
}
