import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateStreamingMessage } from '../helpers/asyncapi.js';
import { librivoxClip } from '../helpers/librivox.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { connect, rawAudio, sendAudio } from '../helpers/streaming.js';
import { whisperLidStandin } from '../helpers/whisper-lid.js';

/**
 * v3 `language_detection` through the real server: pocketsphinx decodes, and each ended turn's audio goes through
 * the Whisper-shaped stand-in (test/helpers/make_whisper_lid_standin.py), which calls speech "en" and hiss "fr".
 */
describe('streaming language detection (v3 language_detection, the Whisper-shaped stand-in)', { timeout: 120_000 }, () => {
  let server: TestServer;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-live-lid-'));
    server = await startServer({
      env: { EARSHOT_LANGUAGE_ID_MODEL: whisperLidStandin(path.join(dir, 'lid')), EARSHOT_STREAMING_ALLOW_FAST: 'true' },
    });
  });
  afterAll(async () => {
    await server?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("gives each ended turn its language and confidence, as upstream's Turn carries them, and none on partials", async () => {
    const s = connect(`${server.url.replace('http', 'ws')}/v3/ws?sample_rate=16000&language_detection=true&max_turn_silence=1500`, {
      authorization: server.key,
    });
    await s.opened;
    await s.next((m) => m.type === 'Begin');
    const audio = Buffer.concat([await rawAudio(librivoxClip('0870')), Buffer.alloc(2 * 32_000)]);
    await sendAudio((c) => s.ws.send(c), audio, { bytesPerMs: 32, chunkMs: 100, speed: Number.POSITIVE_INFINITY });
    s.ws.send(JSON.stringify({ type: 'Terminate' }));
    await s.closed;
    for (const m of s.messages) validateStreamingMessage('v3', m);
    const finals = s.messages.filter((m) => m.type === 'Turn' && m.end_of_turn === true);
    expect(finals.length).toBeGreaterThan(0);
    for (const t of finals) {
      expect(t.language_code).toBe('en');
      expect(t.language_confidence).toBeGreaterThan(0.5);
      expect(t.language_confidence).toBeLessThanOrEqual(1);
    }
    const partials = s.messages.filter((m) => m.type === 'Turn' && m.end_of_turn === false);
    expect(partials.length).toBeGreaterThan(0);
    for (const p of partials) expect(p.language_code).toBeUndefined();
  });
});
