import { describe, expect, it } from 'vitest';
import type { Llm } from '../../../src/lemur/service.js';
import { probeLemur } from '../../../src/status/probes/lemur.js';

/** An LLM as the probe sees it: ready, with a backend whose activity and answers the test sets. */
function llm(activity: { running: boolean; lastTokenAt: number | null }, chats: string[]): Llm {
  const backend = {
    activity: () => activity,
    chat: async ({ messages }: { messages: { content: string }[] }) => {
      chats.push(messages[0]!.content);
      return { text: 'OK', inputTokens: 5, outputTokens: 1, finishReason: 'stop' as const };
    },
  };
  const status = { backend: 'embedded', location: '/m.gguf', state: 'ready', models: [{ name: 'm', contextTokens: 512 }], message: null };
  return { backend, status: async () => status } as unknown as Llm;
}

describe('LeMUR probe', () => {
  it('does not queue behind a user request on a model that runs one at a time, and says why', async () => {
    const chats: string[] = [];
    const busy = await probeLemur(
      { llm: llm({ running: true, lastTokenAt: Date.now() - 300 }, chats), slowMs: {} },
      new AbortController().signal,
    );
    expect(chats).toEqual([]);
    expect(busy.observed).toBe('operational');
    expect(busy.message).toMatch(/^m \(embedded\) is answering a request \(last token \d+ ms ago\): not probed$/);
    const prompt = await probeLemur({ llm: llm({ running: true, lastTokenAt: null }, chats), slowMs: {} }, new AbortController().signal);
    expect(prompt.message).toBe('m (embedded) is answering a request (reading its prompt): not probed');
  });

  it('asks for a few tokens when the model is free, and times them', async () => {
    const chats: string[] = [];
    const free = await probeLemur(
      { llm: llm({ running: false, lastTokenAt: null }, chats), slowMs: { lemur: 30_000 } },
      new AbortController().signal,
    );
    expect(chats).toEqual(['Reply with the single word OK.']);
    expect(free.observed).toBe('operational');
    expect(free.latencyMs).toBeGreaterThanOrEqual(0);
  });
});
