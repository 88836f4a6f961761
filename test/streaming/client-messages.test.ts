import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateStreamingMessage } from '../helpers/asyncapi.js';
import { librivoxClips } from '../helpers/librivox.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { connect, rawAudio, sendAudio, type WsSession } from '../helpers/streaming.js';

/**
 * The messages a live client sends besides audio and Terminate, through a real server: v3's ForceEndpoint,
 * UpdateConfiguration and KeepAlive, and v2's force_end_utterance and end_utterance_silence_threshold.
 * Each session starts with turn settings no audio here can reach (60 s of silence), so only the message
 * under test can end a turn before the client terminates.
 */
const BYTES_PER_MS = 32; // 16 kHz 16-bit
const SILENCE_MS = 2000;
const NEVER = 'sample_rate=16000&min_turn_silence=60000&max_turn_silence=60000';

const isEnd = (m: Record<string, unknown>) => (m.type === 'Turn' && m.end_of_turn === true) || m.message_type === 'FinalTranscript';
/** An open turn with words in it (v3's `transcript` holds only its final words, so the words are counted). */
const isPartial = (m: Record<string, unknown>) =>
  (m.type === 'Turn' && m.end_of_turn === false && (m.words as unknown[]).length > 0) ||
  (m.message_type === 'PartialTranscript' && m.text !== '');

describe('streaming client messages', () => {
  let server: TestServer;
  /** About 5 s of speech, then silence. */
  let speech: Buffer;
  const silence = Buffer.alloc(SILENCE_MS * BYTES_PER_MS);

  beforeAll(async () => {
    server = await startServer();
    speech = (await rawAudio(librivoxClips()[0]!.wav)).subarray(0, 5000 * BYTES_PER_MS);
  });
  afterAll(() => server?.destroy());

  function open(path: string, query: string): WsSession {
    return connect(`${server.url.replace('http', 'ws')}${path}?${query}`, { authorization: server.key });
  }
  const send = (s: WsSession, audio: Buffer) => sendAudio((c) => s.ws.send(c), audio, { bytesPerMs: BYTES_PER_MS, speed: 1 });
  const json = (s: WsSession, msg: object) => s.ws.send(JSON.stringify(msg));

  /** Sends speech and silence, and waits until the server has heard words in an open turn that has not ended. */
  async function openTurn(s: WsSession): Promise<void> {
    await s.next((m) => m.type === 'Begin' || m.message_type === 'SessionBegins');
    await send(s, Buffer.concat([speech, silence]));
    await s.next(isPartial);
    expect(s.messages.filter(isEnd)).toEqual([]);
  }

  async function terminate(s: WsSession, protocol: 'v3' | 'v2'): Promise<void> {
    json(s, protocol === 'v3' ? { type: 'Terminate' } : { terminate_session: true });
    expect((await s.closed).code).toBe(1000);
    for (const m of s.messages) validateStreamingMessage(protocol, m);
  }

  it('v3 ForceEndpoint ends the open turn at once, and the session goes on', async () => {
    const s = open('/v3/ws', NEVER);
    await openTurn(s);
    json(s, { type: 'ForceEndpoint' });
    const end = await s.next(isEnd);
    expect(end).toMatchObject({ turn_order: 0, end_of_turn: true, end_of_turn_confidence: 1 });
    expect(String(end.transcript).length).toBeGreaterThan(0);
    // Still open: the next speech is the next turn.
    await send(s, speech);
    await s.next((m) => m.type === 'Turn' && m.turn_order === 1);
    await terminate(s, 'v3');
    expect(s.messages.filter((m) => isEnd(m) && m.turn_order === 0)).toHaveLength(1);
  });

  it('v3 UpdateConfiguration changes min_turn_silence, max_turn_silence and end_of_turn_confidence_threshold mid-session', async () => {
    // 60 s of silence would end the turn; after the update, half a second does.
    const s = open('/v3/ws', NEVER);
    await openTurn(s);
    json(s, { type: 'UpdateConfiguration', min_turn_silence: 100, max_turn_silence: 500 });
    await send(s, silence);
    const first = await s.next(isEnd);
    expect(first.turn_order).toBe(0);
    // A threshold of 1 needs the full max_turn_silence: min_turn_silence's pause no longer ends the turn.
    json(s, { type: 'UpdateConfiguration', min_turn_silence: 100, max_turn_silence: 60_000, end_of_turn_confidence_threshold: 1 });
    await send(s, Buffer.concat([speech, silence, silence]));
    await s.next((m) => isPartial(m) && m.turn_order === 1);
    expect(s.messages.filter(isEnd)).toHaveLength(1);
    // Back to the default threshold: min_turn_silence (100 ms) is enough again.
    json(s, { type: 'UpdateConfiguration', end_of_turn_confidence_threshold: 0.4 });
    await send(s, silence);
    const second = await s.next((m) => isEnd(m) && m.turn_order === 1);
    expect(second.end_of_turn_confidence).toBeLessThan(1);
    await terminate(s, 'v3');
  });

  it('v3 KeepAlive keeps a session with no audio open past its inactivity_timeout; one without it ends with Termination', async () => {
    const query = 'sample_rate=16000&inactivity_timeout=5';
    const kept = open('/v3/ws', query);
    const idle = open('/v3/ws', query);
    for (const s of [kept, idle]) await s.next((m) => m.type === 'Begin');
    const beat = setInterval(() => json(kept, { type: 'KeepAlive' }), 1000);
    try {
      expect((await idle.closed).code).toBe(1000);
      expect(idle.messages.at(-1)!.type).toBe('Termination');
      // Another timeout's worth past the idle one's end.
      await new Promise((r) => setTimeout(r, 5500));
      expect(kept.ws.readyState).toBe(kept.ws.OPEN);
      expect(kept.messages.map((m) => m.type)).toEqual(['Begin']);
    } finally {
      clearInterval(beat);
    }
    await terminate(kept, 'v3');
    expect(kept.messages.at(-1)!.type).toBe('Termination');
  });

  it('v2 force_end_utterance ends the open utterance at once with a FinalTranscript', async () => {
    // v2 has no turn settings in the URL: the session asks for 20 s of silence (its maximum) first.
    const s = open('/v2/realtime/ws', 'sample_rate=16000');
    await s.next((m) => m.message_type === 'SessionBegins');
    json(s, { end_utterance_silence_threshold: 20_000 });
    await openTurn(s);
    json(s, { force_end_utterance: true });
    const end = await s.next(isEnd);
    expect(String(end.text).length).toBeGreaterThan(0);
    await terminate(s, 'v2');
    expect(s.messages.filter(isEnd)).toHaveLength(1);
  });

  it('v2 end_utterance_silence_threshold changes the silence that ends an utterance mid-session', async () => {
    const s = open('/v2/realtime/ws', 'sample_rate=16000');
    await s.next((m) => m.message_type === 'SessionBegins');
    json(s, { end_utterance_silence_threshold: 20_000 });
    await openTurn(s);
    json(s, { end_utterance_silence_threshold: 300 });
    await send(s, silence);
    const end = await s.next(isEnd);
    expect(String(end.text).length).toBeGreaterThan(0);
    await terminate(s, 'v2');
  });
});
