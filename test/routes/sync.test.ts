import fs from 'node:fs';
import { AssemblyAI, DictationError, SyncTranscriptError } from 'assemblyai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wavHeader } from '../../src/audio/wav.js';
import { librivoxClips } from '../helpers/librivox.js';
import { fakeLlm } from '../helpers/llm.js';
import { api, freePort, startServer, type TestServer } from '../helpers/server.js';

/** The shortest LibriVox clip (3 s): every decode here is a real one on a busy machine. */
const clip = librivoxClips().find((c) => c.id.endsWith('-0880'))!;
const wav = fs.readFileSync(clip.wav);
const pcm = wav.subarray(44);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DECODE_MS = 180_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Audio as a live recorder delivers it: 100 ms pieces, a little faster than real time. */
async function* produced(bytes: Buffer, piece = 3200, everyMs = 40): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += piece) {
    yield bytes.subarray(i, i + piece);
    await sleep(everyMs);
  }
}

/** A producer that sends `first` and then never ends: only an answer given mid-upload can settle the request. */
async function* neverEnding(first: Buffer): AsyncGenerator<Uint8Array> {
  yield first;
  await new Promise(() => undefined);
}

/** Each sample twice: the same audio as stereo, which the server down-mixes back to exactly this. */
function stereo(mono: Buffer): Buffer {
  const out = Buffer.alloc(mono.length * 2);
  for (let i = 0; i < mono.length / 2; i++) {
    out.writeInt16LE(mono.readInt16LE(i * 2), i * 4);
    out.writeInt16LE(mono.readInt16LE(i * 2), i * 4 + 2);
  }
  return out;
}

describe('sync transcription and dictation with the Node SDK 4.41', () => {
  let server: TestServer;
  let bare: TestServer;
  let llm: Awaited<ReturnType<typeof fakeLlm>>;
  let client: AssemblyAI;
  let whole: Awaited<ReturnType<AssemblyAI['sync']['transcribe']>>;

  beforeAll(async () => {
    llm = await fakeLlm(await freePort(), (chat) => {
      const prompt = chat.messages.map((m) => m.content).join('\n');
      if (prompt.includes('FAIL')) throw new Error('the model is down');
      return `REWRITTEN ${prompt.length}`;
    });
    server = await startServer({ env: { EARSHOT_LLM_URL: llm.url } });
    bare = await startServer({ env: { EARSHOT_LLM_MODEL: '' } });
    client = new AssemblyAI({ apiKey: server.key, baseUrl: server.url, syncBaseUrl: server.url, dictationBaseUrl: server.url });
  }, 180_000);
  afterAll(async () => {
    await server?.destroy();
    await bare?.destroy();
    await llm?.stop();
  });

  it(
    'transcribes a WAV file in one request, with word timestamps',
    async () => {
      expect(await client.sync.warm()).toBe(true);
      whole = await client.sync.transcribe(clip.wav, { timestamps: true });
      expect(Object.keys(whole).sort()).toEqual(['audio_duration_ms', 'confidence', 'request_time_ms', 'session_id', 'text', 'words']);
      expect(whole.audio_duration_ms).toBe(2990);
      expect(whole.session_id).toMatch(UUID);
      expect(whole.words.length).toBeGreaterThan(3);
      expect(whole.text).toBe(whole.words.map((w) => w.text).join(' '));
      // Formatted like the async transcripts: a capital to start, a full stop to end.
      expect(whole.text).toMatch(/^[A-Z].*\.$/);
      const spoken = new Set(clip.reference.toLowerCase().split(' '));
      expect(whole.words.filter((w) => spoken.has(w.text.toLowerCase().replace(/[.,?!]/g, ''))).length).toBeGreaterThan(
        whole.words.length / 2,
      );
      for (const [i, w] of whole.words.entries()) {
        expect(w.start).toBeGreaterThanOrEqual(i ? whole.words[i - 1]!.end! : 0);
        expect(w.end).toBeGreaterThan(w.start!);
        expect(w.end).toBeLessThanOrEqual(2990);
        expect(w.confidence).toBeGreaterThan(0);
        expect(w.confidence).toBeLessThanOrEqual(1);
      }
      const mean = whole.words.reduce((s, w) => s + w.confidence, 0) / whole.words.length;
      expect(whole.confidence).toBeCloseTo(mean, 10);
    },
    DECODE_MS,
  );

  it(
    'gives the same transcript for audio uploaded while it is still being produced, and for raw stereo PCM pushed from a callback',
    async () => {
      const live = await client.sync.transcribeLive(produced(wav));
      expect(live.text).toBe(whole.text);
      // No timestamps unless asked for.
      expect(live.words).toEqual(whole.words.map((w) => ({ text: w.text, confidence: w.confidence })));

      const session = client.sync.openLive({ sample_rate: 16_000, channels: 2 });
      const audio = stereo(pcm);
      for (let i = 0; i < audio.length; i += 6400) {
        session.write(audio.subarray(i, i + 6400));
        await sleep(20);
      }
      const pushed = await session.result();
      expect(pushed.text).toBe(whole.text);
      expect(pushed.audio_duration_ms).toBe(2990);
    },
    DECODE_MS,
  );

  it(
    'refuses what it cannot do with errors the SDK reads, while the audio is still coming',
    async () => {
      const refused = async (run: Promise<unknown>) => {
        const err = await run.catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SyncTranscriptError);
        return err as SyncTranscriptError;
      };
      const prompt = await refused(client.sync.transcribeLive(neverEnding(wav), { prompt: 'A reading of Sense and Sensibility.' }));
      expect(prompt).toMatchObject({ status: 400, errorCode: 'bad_request' });
      expect(prompt.message).toBe(
        'prompt is not supported by this Earshot server: its speech engine (pocketsphinx) cannot be prompted. Leave prompt out',
      );
      const keyterms = await refused(client.sync.transcribeLive(neverEnding(wav), { keyterms_prompt: ['Dashwood'] }));
      expect(keyterms.message).toMatch(/^keyterms_prompt is not supported by this Earshot server/);
      const language = await refused(client.sync.transcribeLive(neverEnding(wav), { language_codes: ['es'] }));
      expect(language).toMatchObject({
        status: 400,
        errorCode: 'unsupported_language',
        message: 'The language es is not supported by the speech model pocketsphinx. Supported: en',
      });

      // An 8-bit WAV is refused from its header, before the rest arrives.
      const eightBit = Buffer.from(wavHeader(0, 16_000));
      eightBit.writeUInt16LE(8, 34);
      const format = await refused(client.sync.transcribeLive(neverEnding(eightBit)));
      expect(format).toMatchObject({
        status: 415,
        errorCode: 'unsupported_media_type',
        message: 'WAV audio must be 16-bit PCM; this file is 8-bit, format 1',
      });
      const rate = await refused(client.sync.transcribe(pcm, { sample_rate: 11_025, channels: 1 }));
      expect(rate).toMatchObject({
        status: 415,
        message: 'sample rate 11025 Hz is not supported. Supported: 8000, 16000, 22050, 24000, 32000, 44100, 48000 Hz',
      });
      const notWav = await refused(client.sync.transcribe(Buffer.from('ID3 this is an mp3, honest')));
      expect(notWav).toMatchObject({ status: 400, errorCode: 'bad_audio' });
      const short = await refused(client.sync.transcribe(pcm.subarray(0, 1600), { sample_rate: 16_000, channels: 1 }));
      expect(short).toMatchObject({
        status: 400,
        errorCode: 'audio_too_short',
        message: 'audio duration 50 ms is below the minimum of 80 ms',
      });
      const odd = await refused(client.sync.transcribe(pcm.subarray(0, 8001), { sample_rate: 16_000, channels: 1 }));
      expect(odd).toMatchObject({
        status: 400,
        errorCode: 'bad_audio',
        message: 'The PCM data is 8001 bytes, not a whole number of 2-byte samples',
      });
      const model = await refused(client.sync.transcribe(wav, { model: 'universal-9' }));
      expect(model.message).toBe(
        'X-AAI-Model "universal-9" is not available on this Earshot server. Available: universal-3-5-pro (answered by pocketsphinx)',
      );
      const key = await refused(new AssemblyAI({ apiKey: 'wrong', syncBaseUrl: server.url }).sync.transcribe(wav));
      expect(key).toMatchObject({ status: 401, errorCode: 'unauthorized', message: 'Authentication error, API token missing/invalid' });

      // 121 s of silence: refused at the 120 s mark, never read to the end.
      const tooLong = await refused(
        client.sync.transcribeLive(neverEnding(Buffer.concat([wavHeader(0, 8000), Buffer.alloc(121 * 16_000)]))),
      );
      expect(tooLong).toMatchObject({
        status: 413,
        errorCode: 'audio_too_large',
        message: 'audio duration exceeds the limit of 120000 ms',
      });
    },
    DECODE_MS,
  );

  it('checks the multipart body as curl sends it', async () => {
    const form = (parts: [string, Blob, string?][]) => {
      const f = new FormData();
      for (const [name, value, filename] of parts) f.append(name, value, filename);
      return f;
    };
    const post = (body: FormData, headers: Record<string, string> = { 'x-aai-model': 'universal-3-5-pro' }) =>
      api(server, '/v1/transcribe/live', { method: 'POST', body, headers });
    const audio = new Blob([pcm.subarray(0, 3200)], { type: 'audio/pcm' });
    const config = new Blob(['{"sample_rate": 16000, "channels": 1}'], { type: 'application/json' });
    const cases: [FormData, number, string | RegExp][] = [
      [
        form([
          ['audio', audio, 'a.pcm'],
          ['config', config],
        ]),
        400,
        'The "config" part must come before the "audio" part: the audio is decoded as it arrives',
      ],
      [form([['config', config]]), 400, 'The body has no "audio" part'],
      [
        form([
          ['config', new Blob(['{"sample_rate": 16000,'])],
          ['audio', audio, 'a.pcm'],
        ]),
        400,
        /^The config part is not valid JSON: Expected double-quoted property name in JSON at position 22/,
      ],
      [
        form([
          ['config', new Blob(['{"speaker_labels": true, "sample_rate": 16000}'])],
          ['audio', audio, 'a.pcm'],
        ]),
        400,
        'Unknown config field: speaker_labels. The sync config takes: prompt, keyterms_prompt, conversation_context, language_codes, sample_rate, channels, timestamps',
      ],
      [
        form([
          ['config', new Blob(['{}'])],
          ['audio', new Blob([pcm.subarray(0, 3200)], { type: 'audio/mpeg' }), 'a.mp3'],
        ]),
        415,
        'The audio part is audio/mpeg: this server decodes WAV (audio/wav) or raw 16-bit little-endian PCM (audio/pcm)',
      ],
    ];
    for (const [body, status, error] of cases) {
      const res = await post(body);
      expect(await res.json()).toEqual({
        error: typeof error === 'string' ? error : expect.stringMatching(error),
        error_code: status === 415 ? 'unsupported_media_type' : 'bad_request',
      });
      expect(res.status).toBe(status);
    }
    const json = await api(server, '/v1/transcribe/live', {
      method: 'POST',
      json: { audio_url: 'https://example.com/a.wav' },
      headers: { 'x-aai-model': 'universal-3-5-pro' },
    });
    expect(json.status).toBe(400);
    expect((await json.json()) as unknown).toMatchObject({
      error_code: 'bad_request',
      error: expect.stringMatching(/^The body must be multipart\/form-data/),
    });
    const warm = await api(server, '/v1/warm');
    expect(warm.status).toBe(204);
  });

  it(
    'runs dictation through the configured LLM, with the instruction, context and key terms in the prompt',
    async () => {
      const before = llm.requests.length;
      const note = await client.dictation.transcribeLive(produced(wav), {
        llm_instruction: 'Format this as a SOAP note.',
        stt_prompt: 'A reading of a novel.',
        keyterms_prompt: [' Dashwood ', ''],
      });
      expect(note.text).toBe(whole.text);
      expect(note.words).toEqual(whole.words.map((w) => ({ text: w.text, confidence: w.confidence })));
      expect(llm.requests.length).toBe(before + 1);
      const chat = llm.requests.at(-1)!;
      const prompt = chat.messages.map((m) => m.content).join('\n');
      expect(note.llm_response).toBe(`REWRITTEN ${prompt.length}`);
      expect(note.final_text).toBe(note.llm_response);
      expect(note.llm_error).toBeNull();
      expect(prompt).toContain(`<transcript>\n${whole.text}\n</transcript>`);
      expect(prompt).toContain('Format this as a SOAP note.');
      expect(prompt).toContain('A reading of a novel.');
      expect(prompt).toContain('spell them exactly like this: Dashwood');
      expect(chat).toMatchObject({ model: 'fake-llm', temperature: 0 });
      expect(note.sync_time_ms).toBeLessThanOrEqual(note.request_time_ms!);
      expect(note.audio_duration_ms).toBe(2990);

      // A failed pass keeps the transcript, and says why.
      const failed = await client.dictation.transcribeLive(wav, { llm_instruction: 'FAIL' });
      expect(failed.text).toBe(whole.text);
      expect(failed.llm_response).toBeNull();
      expect(failed.llm_error).toMatch(/answered 500: the model is down/);
      expect(failed.final_text).toBe(whole.text);
    },
    DECODE_MS,
  );

  it('refuses dictation before the audio when there is no LLM, and caps the instruction', async () => {
    const none = new AssemblyAI({ apiKey: bare.key, dictationBaseUrl: bare.url });
    const err = (await none.dictation.transcribeLive(neverEnding(wav)).catch((e: unknown) => e)) as DictationError;
    expect(err).toBeInstanceOf(DictationError);
    expect(err).toMatchObject({ status: 503, errorCode: 'llm_unavailable' });
    expect(err.message).toMatch(
      /^No LLM is configured on this Earshot server \(EARSHOT_LLM_MODEL is empty and EARSHOT_LLM_URL is unset\)\. Install a model/,
    );

    const form = new FormData();
    form.append('config', new Blob([JSON.stringify({ llm_instruction: 'x'.repeat(2049), timestamps: true })]));
    form.append('audio', new Blob([wav], { type: 'audio/wav' }), 'a.wav');
    const res = await api(server, '/v1/transcribe/live', { method: 'POST', body: form });
    expect(await res.json()).toEqual({
      error:
        'Unknown config field: timestamps. The dictation config takes: sample_rate, channels, language_codes, stt_prompt, keyterms_prompt, llm_instruction',
      error_code: 'bad_request',
    });
    form.set('config', new Blob([JSON.stringify({ llm_instruction: 'x'.repeat(2049) })]));
    const capped = await api(server, '/v1/transcribe/live', { method: 'POST', body: form });
    expect(await capped.json()).toEqual({ error: 'llm_instruction exceeds 2048 characters (got 2049)', error_code: 'bad_request' });
  });
});
