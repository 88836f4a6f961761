import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { librivoxClips } from '../helpers/librivox.js';
import { api, startServer, waitForTranscript, type TestServer } from '../helpers/server.js';

describe('faults inside a job', () => {
  let server: TestServer | undefined;
  afterAll(() => server?.destroy());

  it("an upload gone from disk ends only its own job, with upstream's download error and no internal path", async () => {
    server = await startServer();
    const post = async (body: Buffer) =>
      ((await (await api(server!, '/v2/upload', { method: 'POST', body })).json()) as { upload_url: string }).upload_url;
    const clip = fs.readFileSync(librivoxClips()[0]!.wav);
    const [lost, kept] = [await post(clip), await post(clip)];
    // The fault: the file is removed behind the server's back (disk cleaner, operator).
    fs.rmSync(path.join(server.dataDir, 'uploads', lost.split('/').pop()!));
    const create = async (audio_url: string) =>
      ((await (await api(server!, '/v2/transcript', { method: 'POST', json: { audio_url } })).json()) as { id: string }).id;
    const [bad, good] = [await create(lost), await create(kept)];

    const failed = await waitForTranscript(server, bad);
    expect(failed.status).toBe('error');
    expect(failed.error).toBe(
      `Download error, unable to download ${lost}. Please make sure the file exists and is accessible from the internet.`,
    );
    expect(JSON.stringify(failed)).not.toContain(server.dataDir);
    expect((await waitForTranscript(server, good)).status).toBe('completed');
  }, 120_000);
});
