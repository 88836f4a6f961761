import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { librivoxClips } from '../helpers/librivox.js';
import { completedTranscript, fakeLlm } from '../helpers/llm.js';
import { api, freePort, startServer, type TestServer } from '../helpers/server.js';

const HOUR = 3600;

/**
 * LeMUR's limit of 100 hours of audio across `transcript_ids`, through a real server: two short transcripts
 * whose stored `audio_duration` is then set to many hours (PostgreSQL, so the test can write beside the server).
 */
describe('LeMUR over at most 100 hours of audio', () => {
  let server: TestServer;
  let llm: Awaited<ReturnType<typeof fakeLlm>>;
  let ids: string[];

  async function setHours(id: string, hours: number): Promise<void> {
    const client = new pg.Client({ connectionString: server.env.DATABASE_URL });
    await client.connect();
    try {
      await client.query("update transcripts set result = jsonb_set(result, '{audio_duration}', to_jsonb($2::float)) where id = $1", [
        id,
        hours * HOUR,
      ]);
    } finally {
      await client.end();
    }
  }

  const task = (transcript_ids: string[]) =>
    api(server, '/lemur/v3/generate/task', { method: 'POST', json: { transcript_ids, prompt: 'What was said?', max_output_size: 8 } });

  beforeAll(async () => {
    llm = await fakeLlm(await freePort());
    server = await startServer({ storage: 'postgres', env: { EARSHOT_LLM_URL: llm.url, EARSHOT_LLM_RATE_LIMIT: '0' } });
    const clips = librivoxClips();
    ids = [];
    for (const clip of clips.slice(0, 2)) ids.push((await completedTranscript(server, clip.wav)).id as string);
    await setHours(ids[0]!, 60);
    await setHours(ids[1]!, 40.5);
    // On PostgreSQL the server keeps a transcript row for a second before reading it again.
    await new Promise((r) => setTimeout(r, 1100));
  });
  afterAll(async () => {
    await server?.destroy();
    await llm?.stop();
  });

  it('refuses transcripts that together cover more, before asking the LLM', async () => {
    const res = await task(ids);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'transcript_ids may cover at most 100 hours of audio (these cover 100.5 hours)' });
    expect(llm.chats()).toBe(0);
  });

  it('answers over each of them alone, and over exactly 100 hours', async () => {
    for (const id of ids) expect((await task([id])).status).toBe(200);
    await setHours(ids[1]!, 40);
    await new Promise((r) => setTimeout(r, 1100));
    const res = await task(ids);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { response: string }).response).toBe('OK');
  });
});
