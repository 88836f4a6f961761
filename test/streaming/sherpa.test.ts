import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SILERO_MODEL, startServer, type TestServer } from '../helpers/server.js';
import { connect, sendAudio } from '../helpers/streaming.js';

/**
 * Live sessions on a neural streaming model through the real server: the handmade T-one-shaped CTC model
 * (../shared/models/handmade) emits one `speech` token per loud stretch, so partials, finals and the
 * model's endpoints can be counted. Its times come out scaled (it counts 300 ms frames as 30 ms ones), so
 * only order and counts are checked.
 */
const HANDMADE = new URL('../../../shared/models/handmade/', import.meta.url).pathname;
const TONE_CTC = `${HANDMADE}streaming-energy-ctc.onnx`;

/** 16 kHz s16le: silence, or a 300 Hz tone loud enough for the model (its threshold is a mean |amplitude| of 600). */
function pcm(parts: [ms: number, loud: boolean][]): Buffer {
  const out: Buffer[] = [];
  for (const [ms, loud] of parts) {
    const b = Buffer.alloc(ms * 32);
    if (loud) for (let i = 0; i < ms * 16; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 16_000)), i * 2);
    out.push(b);
  }
  return Buffer.concat(out);
}

for (const f of [TONE_CTC, SILERO_MODEL]) if (!fs.existsSync(f)) throw new Error(`test model missing: ${f}`);

describe('streaming on a sherpa-onnx model', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      env: {
        EARSHOT_STREAMING_MODEL: TONE_CTC,
        EARSHOT_VAD_MODEL: SILERO_MODEL,
        EARSHOT_STREAMING_ALLOW_FAST: 'true',
        EARSHOT_STREAMING_THREADS: '1',
        EARSHOT_LOG_LEVEL: 'info',
      },
    });
  }, 60_000);
  afterAll(async () => server?.destroy());

  it('gets partials, finals and endpoints from the model', async () => {
    // Turns that only the model's endpoint can end early: the silence rule alone would wait 20 s.
    const query = 'sample_rate=16000&end_of_turn_confidence_threshold=0.99&max_turn_silence=20000';
    const s = connect(`${server.url.replace('http', 'ws')}/v3/ws?${query}`, { Authorization: server.key });
    await s.opened;
    await s.next((m) => m.type === 'Begin');
    const audio = pcm([
      [500, false],
      [1000, true],
      [6000, false],
      [800, true],
      [300, false],
      [800, true],
      [6000, false],
    ]);
    await sendAudio((c) => s.ws.send(c), audio, { bytesPerMs: 32, chunkMs: 100, speed: Infinity });
    await s.next((m) => m.type === 'Turn' && m.end_of_turn === true && m.turn_order === 1);
    s.ws.send(JSON.stringify({ type: 'Terminate' }));
    await s.next((m) => m.type === 'Termination');
    await s.closed;

    const turns = s.messages.filter((m) => m.type === 'Turn') as {
      turn_order: number;
      end_of_turn: boolean;
      transcript: string;
      end_of_turn_confidence: number;
      words: { text: string; start: number }[];
    }[];
    const finals = turns.filter((t) => t.end_of_turn);
    expect(finals.map((t) => t.transcript)).toEqual(['speech', 'speech speech']);
    // The model's endpoint, not 20 s of silence, ended both turns: at full confidence.
    expect(finals.map((t) => t.end_of_turn_confidence)).toEqual([1, 1]);
    for (const order of [0, 1]) {
      const partials = turns.filter((t) => t.turn_order === order && !t.end_of_turn);
      expect(partials.length).toBeGreaterThan(0);
      expect(turns.indexOf(partials[0]!)).toBeLessThan(turns.indexOf(finals[order]!));
    }
    // The second turn's partials grew word by word, and its words are in order after the first turn's.
    const partialWords = turns.filter((t) => t.turn_order === 1 && !t.end_of_turn).map((t) => t.words.map((w) => w.text).join(' '));
    expect(partialWords).toEqual(['speech', 'speech speech']);
    const starts = finals.flatMap((t) => t.words.map((w) => w.start));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(new Set(starts).size).toBe(3);
    expect(server.output()).toMatch(/sherpa-streaming-energy-ctc.*streaming decoder loaded/);
  }, 60_000);
});
