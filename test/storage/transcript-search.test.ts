import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/storage/keys.js';
import { searchTranscripts } from '../../src/storage/transcript-search.js';
import { freshDb, type TestDb } from '../helpers/db.js';

describe('searchTranscripts', () => {
  let t: TestDb;
  let projectId: string;
  const ids: string[] = [];

  beforeAll(async () => {
    t = await freshDb('pglite');
    projectId = (await createKey(t.db, { project: 'search' })).project_id;
    // Oldest first: four with the phrase, one without, one deleted.
    const texts = [
      'the young man left',
      'a young man came',
      'no match here',
      'Young Man again',
      'the young man stayed',
      'young man, deleted',
    ];
    for (const [i, text] of texts.entries()) {
      const id = randomUUID();
      ids.push(id);
      await t.db.query(
        `insert into transcripts (id, project_id, status, audio_url, params, result, created_at, deleted_at)
         values ($1, $2, 'completed', 'https://example.test/a.wav', '{}', $3, now() - make_interval(mins => $4), $5)`,
        [id, projectId, JSON.stringify({ text }), 10 - i, i === 5 ? new Date() : null],
      );
    }
  });
  afterAll(async () => t?.drop());

  it('finds the live matches newest first, a page at a time, each with a snippet around the match', async () => {
    const first = await searchTranscripts(t.db, projectId, { text: 'young MAN', limit: 2 });
    expect(first.rows.map((r) => r.id)).toEqual([ids[4], ids[3]]);
    expect(first.rows.map((r) => r.snippet)).toEqual(['the young man stayed', 'Young Man again']);
    expect(first.hasOlder).toBe(true);
    const second = await searchTranscripts(t.db, projectId, { text: 'young MAN', limit: 2, beforeId: ids[3] });
    expect(second.rows.map((r) => r.id)).toEqual([ids[1], ids[0]]);
    expect(second.hasOlder).toBe(false);
  });

  it('treats % and _ in the text as themselves', async () => {
    expect((await searchTranscripts(t.db, projectId, { text: 'young_man', limit: 10 })).rows).toEqual([]);
    expect((await searchTranscripts(t.db, projectId, { text: '%', limit: 10 })).rows).toEqual([]);
  });
});
