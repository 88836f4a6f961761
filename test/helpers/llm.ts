import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { api, waitForTranscript, type TestServer } from './server.js';

/**
 * A tiny llama GGUF with random weights (../shared/models/llm): it loads in node-llama-cpp and
 * generates gibberish quickly, so LLM tests check shapes, token numbers, limits and errors, not wisdom.
 */
export const TINY_MODEL = fileURLToPath(new URL('../../../shared/models/llm/llama-2-tiny-random.gguf', import.meta.url));
/** Its name as Earshot reports it (the file name without .gguf). */
export const TINY_MODEL_NAME = 'llama-2-tiny-random';

/**
 * Server settings for the tiny model. One thread: llama.cpp's spinning threads crawl when another
 * process holds the other core of a 2-core machine.
 */
export function tinyLlmEnv(contextTokens = 1024): Record<string, string> {
  return { EARSHOT_LLM_MODEL: TINY_MODEL, EARSHOT_LLM_THREADS: '1', EARSHOT_LLM_CONTEXT_TOKENS: String(contextTokens) };
}

/** Uploads a LibriVox clip and waits for its transcript (pocketsphinx, the test servers' engine). */
export async function completedTranscript(server: TestServer, wav: string, timeoutMs?: number): Promise<Record<string, unknown>> {
  const up = await api(server, '/v2/upload', {
    method: 'POST',
    body: readFileSync(wav),
    headers: { 'content-type': 'application/octet-stream' },
  });
  const { upload_url } = (await up.json()) as { upload_url: string };
  const created = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: upload_url } });
  const { id } = (await created.json()) as { id: string };
  const t = await waitForTranscript(server, id, timeoutMs);
  if (t.status !== 'completed') throw new Error(`transcript ${id} ended ${t.status}: ${t.error}`);
  return t;
}

/** A chat request the fake LLM server received. */
export interface FakeChat {
  model: string;
  messages: { role: string; content: string }[];
  max_tokens?: number;
  temperature?: number;
}

/**
 * An OpenAI-compatible LLM server (model `fake-llm`, 4096 tokens) that answers every chat with
 * `reply(request)` (default "OK"; a thrown error is a 500), keeps the requests, and can be switched
 * off (connections cut) and on again on the same port.
 */
export async function fakeLlm(port: number, reply: (chat: FakeChat) => string = () => 'OK') {
  let server: http.Server | null = null;
  const requests: FakeChat[] = [];
  const start = () =>
    new Promise<void>((resolve) => {
      server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          res.setHeader('content-type', 'application/json');
          if (req.url === '/v1/models') return res.end(JSON.stringify({ data: [{ id: 'fake-llm', context_length: 4096 }] }));
          const chat = JSON.parse(body) as FakeChat;
          requests.push(chat);
          let content: string;
          try {
            content = reply(chat);
          } catch (err) {
            res.statusCode = 500;
            return res.end(JSON.stringify({ error: { message: (err as Error).message } }));
          }
          res.end(
            JSON.stringify({
              choices: [{ message: { content }, finish_reason: 'stop' }],
              usage: { prompt_tokens: 9, completion_tokens: 1 },
            }),
          );
        });
      });
      server.listen(port, '127.0.0.1', resolve);
    });
  await start();
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    chats: () => requests.length,
    start,
    stop: () =>
      new Promise<void>((resolve) => {
        server!.close(() => resolve());
        server!.closeAllConnections();
      }),
  };
}
