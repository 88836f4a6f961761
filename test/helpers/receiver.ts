import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  at: number;
}

/**
 * A local HTTP server that records every request; `respond` decides each answer (status, delay, body).
 * Stands in for a user's webhook receiver.
 */
export interface Answer {
  status: number;
  delayMs?: number;
  body?: string;
}

export async function startReceiver(respond: (req: Received, n: number) => Answer = () => ({ status: 200 })) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        /* keep the text */
      }
      const entry: Received = { path: req.url ?? '', headers: req.headers, body, at: Date.now() };
      received.push(entry);
      const { status, delayMs, body: answer } = respond(entry, received.filter((r) => r.path === entry.path).length);
      setTimeout(() => res.writeHead(status, { 'content-type': 'text/plain' }).end(answer ?? 'ok'), delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    /** Requests to one path. */
    to: (path: string) => received.filter((r) => r.path === path),
    async waitFor(predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline)
          throw new Error(`receiver: condition not met in ${timeoutMs} ms; got ${JSON.stringify(received.map((r) => r.path))}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
