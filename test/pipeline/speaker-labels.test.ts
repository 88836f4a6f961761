import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssemblyAI } from 'assemblyai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogueEntry } from '../../src/models/catalogue.js';
import { twoVoiceMix } from '../helpers/librivox.js';
import { validateSchema } from '../helpers/openapi.js';
import { fakeLlm } from '../helpers/llm.js';
import { api, freePort, startServer, transcribeFile, waitForTranscript, type TestServer } from '../helpers/server.js';

const HANDMADE = fileURLToPath(new URL('../../../shared/models/handmade/', import.meta.url));

type Word = { text: string; start: number; end: number; speaker: string | null };
type Utterance = { speaker: string; start: number; end: number; text: string; words: Word[] };

describe('speaker labels (handmade diarization models through the real server)', { timeout: 240_000 }, () => {
  let server: TestServer;
  let dir: string;
  let mix: string;
  let llm: Awaited<ReturnType<typeof fakeLlm>>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-speakers-'));
    for (const f of ['segmentation-energy.onnx', 'embedding-meanstd.onnx']) {
      if (!fs.existsSync(path.join(HANDMADE, f))) throw new Error(`missing ${HANDMADE}${f} (see ../shared/README.md)`);
    }
    // The embedding model by path (the setting), the segmentation model by its catalogue name (the default), not yet installed.
    llm = await fakeLlm(await freePort());
    const env = { EARSHOT_DIARIZATION_EMBEDDING_MODEL: path.join(HANDMADE, 'embedding-meanstd.onnx'), EARSHOT_LLM_URL: llm.url };
    [server, mix] = await Promise.all([startServer({ env }), twoVoiceMix(dir)]);
  });
  afterAll(async () => {
    if (process.env.EARSHOT_TEST_SHOW_OUTPUT) console.log(server?.output());
    await server?.destroy();
    await llm?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const create = (json: Record<string, unknown>) =>
    api(server, '/v2/transcript', { method: 'POST', json: { audio_url: 'https://example.com/a.mp3', ...json } });

  it('refuses speaker_labels with a 400 saying how to install the model while one is missing', async () => {
    const res = await create({ speaker_labels: true });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: string };
    expect(error).toContain('speaker_labels');
    expect(error).toBe(
      'speaker_labels needs the speaker diarization models, which are not installed on this Earshot server: run `earshot models pull pyannote-segmentation-3.0`',
    );
    const caps = (await (await api(server, '/v2/console/capabilities')).json()) as { unsupported_features: string[] };
    expect(caps.unsupported_features).toContain('speaker_labels');
    // Without speaker_labels the same request is fine, and reads as upstream's without speakers.
    const plain = await create({ speaker_labels: false });
    expect(plain.status).toBe(200);
    expect(await plain.json()).toMatchObject({ speaker_labels: false, utterances: null, speakers_expected: null });
  });

  it('validates speakers_expected and speaker_options as upstream', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ speakers_expected: 0 }, 'speakers_expected must be at least 1'],
      [{ speakers_expected: 1.5 }, 'speakers_expected must be an Integer'],
      [{ speaker_options: 'two' }, 'speaker_options must be an Object'],
      [{ speaker_options: { min_speakers_expected: 0 } }, 'speaker_options.min_speakers_expected must be at least 1'],
      [{ speaker_options: { max_speakers_expected: 'many' } }, 'speaker_options.max_speakers_expected must be an Integer'],
      [
        { speaker_options: { min_speakers_expected: 3, max_speakers_expected: 2 } },
        'max_speakers_expected must be greater than or equal to min_speakers_expected',
      ],
      [{ speaker_options: { speakers: 2 } }, 'speaker_options has no field speakers'],
      [{ speaker_options: { use_two_stage_clustering: false } }, 'speaker_options.use_two_stage_clustering'],
    ];
    for (const [body, message] of cases) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain(message);
    }
    expect((await create({ speaker_options: { min_speakers_expected: 2, max_speakers_expected: 2 } })).status).toBe(200);
  });

  describe('once the model is installed (no restart)', () => {
    beforeAll(() => {
      // The handmade stand-in under the catalogue's file name: what `earshot models pull` would have put there.
      const models = path.join(server.dataDir, 'models');
      fs.mkdirSync(models, { recursive: true });
      fs.copyFileSync(
        path.join(HANDMADE, 'segmentation-energy.onnx'),
        path.join(models, catalogueEntry('pyannote-segmentation-3.0')!.fileName),
      );
    });

    type Done = Record<string, unknown> & { id: string; words: Word[]; utterances: Utterance[] | null };
    let jobs: Promise<Done[]> | null = null;
    /** Both jobs at once (the server runs two at a time): a known count, and a minimum over the threshold's answer. */
    const finished = () =>
      (jobs ??= Promise.all(
        [{ speakers_expected: 2 }, { speaker_options: { min_speakers_expected: 2 } }].map(async (params) => {
          const t = await waitForTranscript(server, await transcribeFile(server, mix, { speaker_labels: true, ...params }), 180_000);
          expect(t.status, String(t.error)).toBe('completed');
          return t as Done;
        }),
      ));
    const speakersOf = (words: Word[]) => [...new Set(words.map((w) => w.speaker))];

    it("labels a two-voice mix with two speakers, the same one at both ends, in upstream's shapes", async () => {
      const caps = (await (await api(server, '/v2/console/capabilities')).json()) as { unsupported_features: string[] };
      expect(caps.unsupported_features).not.toContain('speaker_labels');

      const [t] = await finished();
      validateSchema('Transcript', t);
      expect(t!.speaker_labels).toBe(true);
      expect(t!.speakers_expected).toBe(2);
      const { words } = t!;
      expect(words.length).toBeGreaterThan(10);
      expect(speakersOf(words)).toEqual(['A', 'B']); // letters in order of first appearance
      expect(words[0]!.speaker).toBe('A');
      expect(words[words.length - 1]!.speaker).toBe('A');
      // The espeak voice (8.1 s to 15.6 s) is mostly B, the reader before and after mostly A.
      const share = (from: number, to: number, speaker: string) => {
        const inside = words.filter((w) => w.start >= from && w.end <= to);
        return inside.filter((w) => w.speaker === speaker).length / inside.length;
      };
      expect(share(8100, 15600, 'B')).toBeGreaterThan(0.7);
      expect(share(0, 7100, 'A')).toBeGreaterThan(0.7);
      expect(share(16600, 23000, 'A')).toBeGreaterThan(0.7);

      // Utterances: runs of one speaker's words, which together are the words, in order.
      const utterances = t!.utterances!;
      expect(utterances.length).toBeGreaterThanOrEqual(3);
      for (const u of utterances) {
        validateSchema('TranscriptUtterance', u);
        expect(u.words.every((w) => w.speaker === u.speaker)).toBe(true);
        expect(u.text).toBe(u.words.map((w) => w.text).join(' '));
        expect([u.start, u.end]).toEqual([u.words[0]!.start, u.words[u.words.length - 1]!.end]);
      }
      for (let i = 1; i < utterances.length; i++) expect(utterances[i]!.speaker).not.toBe(utterances[i - 1]!.speaker);
      expect(utterances.flatMap((u) => u.words)).toEqual(words);

      // Sentences carry the speaker and never span two; paragraphs break at a change of speaker.
      const sentences = (await (await api(server, `/v2/transcript/${t!.id}/sentences`)).json()) as {
        sentences: (Utterance & { speaker: string })[];
      };
      validateSchema('SentencesResponse', sentences);
      for (const s of sentences.sentences) expect(s.words.every((w) => w.speaker === s.speaker)).toBe(true);
      expect(new Set(sentences.sentences.map((s) => s.speaker))).toEqual(new Set(['A', 'B']));
      const paragraphs = (await (await api(server, `/v2/transcript/${t!.id}/paragraphs`)).json()) as { paragraphs: { words: Word[] }[] };
      for (const p of paragraphs.paragraphs) expect(speakersOf(p.words)).toHaveLength(1);

      // The official Node SDK reads it as its own types.
      const sdk = await new AssemblyAI({ apiKey: server.key, baseUrl: server.url }).transcripts.get(t!.id);
      expect(sdk.utterances?.map((u) => u.speaker)).toEqual(utterances.map((u) => u.speaker));
      expect(sdk.words?.[0]?.speaker).toBe('A');

      // LeMUR reads the transcript as speaker-attributed lines, a new line at each change of speaker.
      const task = await api(server, '/lemur/v3/generate/task', {
        method: 'POST',
        json: { transcript_ids: [t!.id], prompt: 'Who spoke?' },
      });
      expect(task.status).toBe(200);
      const prompt = llm.requests
        .at(-1)!
        .messages.map((m) => m.content)
        .join('\n');
      const lines = [...prompt.matchAll(/^\[\d\d:\d\d\] Speaker ([AB]): /gm)].map((m) => m[1]);
      expect(lines[0]).toBe('A');
      expect(lines.at(-1)).toBe('A');
      expect(lines).toContain('B');
      expect(lines.length).toBeGreaterThanOrEqual(utterances.length);
    });

    it('honours speaker_options.min_speakers_expected over the threshold, which merges the handmade voices', async () => {
      const [, atLeastTwo] = await finished();
      expect(speakersOf(atLeastTwo!.words)).toEqual(['A', 'B']);
      expect(atLeastTwo!.words[atLeastTwo!.words.length - 1]!.speaker).toBe('A');
    });
  });
});
