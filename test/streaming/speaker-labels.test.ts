import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateStreamingMessage } from '../helpers/asyncapi.js';
import { espeakVoice, librivoxClip } from '../helpers/librivox.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { connect, rawAudio, sendAudio } from '../helpers/streaming.js';

const HANDMADE = new URL('../../../shared/models/handmade/', import.meta.url).pathname;
const EMBEDDING = `${HANDMADE}embedding-meanstd.onnx`;
if (!fs.existsSync(EMBEDDING)) throw new Error(`test model missing: ${EMBEDDING}`);

/**
 * v3 live speaker labels through the real server: pocketsphinx decodes, the handmade mean/std "embedding"
 * (../shared/models/handmade) tells a LibriVox reader from an espeak-ng voice, and each ended turn is clustered.
 */
describe('streaming speaker labels (v3 speaker_labels, the handmade embedding model)', { timeout: 180_000 }, () => {
  let server: TestServer;
  let bare: TestServer;
  let dir: string;
  let audio: Buffer;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-live-speakers-'));
    // Reader, espeak-ng voice, reader, with two seconds of silence between so each is one turn.
    const voice = await espeakVoice(dir);
    const parts = [librivoxClip('0870'), voice, librivoxClip('0920')];
    const silence = Buffer.alloc(2 * 32_000);
    audio = Buffer.concat([...(await Promise.all(parts.map((p) => rawAudio(p)))).flatMap((a) => [a, silence])]);
    [server, bare] = await Promise.all([
      // The stand-in's voices are far more alike than a real model's (cosine 0.81 apart, 0.98 the same reader): its threshold.
      startServer({
        env: {
          EARSHOT_DIARIZATION_EMBEDDING_MODEL: EMBEDDING,
          EARSHOT_STREAMING_ALLOW_FAST: 'true',
          EARSHOT_STREAMING_SPEAKER_THRESHOLD: '0.9',
        },
      }),
      startServer(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([server?.destroy(), bare?.destroy()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Turns end only on a pause of 1.5 s, so a reader's breath does not split a turn.
  const QUERY = 'sample_rate=16000&speaker_labels=true&end_of_turn_confidence_threshold=1&max_turn_silence=1500';

  async function session(s: TestServer, query: string) {
    const ws = connect(`${s.url.replace('http', 'ws')}/v3/ws?${query}`, { authorization: s.key });
    await ws.opened;
    return ws;
  }

  it('labels each ended turn and its words: reader A, the other voice B, the reader A again', async () => {
    const s = await session(server, QUERY);
    await s.next((m) => m.type === 'Begin');
    await sendAudio((c) => s.ws.send(c), audio, { bytesPerMs: 32, chunkMs: 100, speed: Number.POSITIVE_INFINITY });
    s.ws.send(JSON.stringify({ type: 'Terminate' }));
    await s.closed;
    for (const m of s.messages) validateStreamingMessage('v3', m);
    const finals = s.messages.filter((m) => m.type === 'Turn' && m.end_of_turn === true);
    expect(finals.map((m) => m.speaker_label)).toEqual(['A', 'B', 'A']);
    for (const t of finals) for (const w of t.words as { speaker: string }[]) expect(w.speaker).toBe(t.speaker_label);
    // An open turn's speaker is not known until it ends.
    const partials = s.messages.filter((m) => m.type === 'Turn' && m.end_of_turn === false);
    expect(partials.length).toBeGreaterThan(0);
    for (const p of partials) expect(p.speaker_label).toBe('UNKNOWN');
  });

  it('calls a turn under a second UNKNOWN, and keeps to max_speakers', async () => {
    const s = await session(server, `${QUERY}&max_speakers=1`);
    await s.next((m) => m.type === 'Begin');
    const short = (await rawAudio(librivoxClip('0870'))).subarray(0, 16 * 32 * 40); // well under a second of words
    await sendAudio((c) => s.ws.send(c), Buffer.concat([short, Buffer.alloc(2 * 32_000), audio]), {
      bytesPerMs: 32,
      chunkMs: 100,
      speed: Number.POSITIVE_INFINITY,
    });
    s.ws.send(JSON.stringify({ type: 'Terminate' }));
    await s.closed;
    const labels = s.messages.filter((m) => m.type === 'Turn' && m.end_of_turn === true).map((m) => m.speaker_label);
    expect(labels[0]).toBe('UNKNOWN');
    expect(new Set(labels.slice(1))).toEqual(new Set(['A']));
  });

  it('refuses speaker_labels, saying how to install the model, when there is none; and a bad max_speakers', async () => {
    const none = await session(bare, 'sample_rate=16000&speaker_labels=true');
    const closed = await none.closed;
    expect(closed.code).toBe(3006);
    expect(none.messages.at(-1)!.error).toContain('speaker_labels needs a speaker embedding model');
    const bad = await session(server, 'sample_rate=16000&speaker_labels=true&max_speakers=11');
    expect((await bad.closed).code).toBe(3006);
  });
});
