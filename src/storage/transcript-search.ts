import type { Queryable } from '../db/index.js';
import type { ListRow } from './transcripts.js';

export interface SearchQuery {
  text: string;
  limit: number;
  /** Page to transcripts older than this one. */
  beforeId?: string;
}

export type SearchRow = ListRow & { snippet: string };

/** Characters of context either side of the first match. */
const CONTEXT = 60;

/**
 * Completed, live transcripts of a project whose text contains `text` (case-insensitive), newest
 * first, each with a snippet around its first match. A sequential scan of the project's transcripts:
 * fine at a self-hosted server's scale, and needs no extension or index.
 */
export async function searchTranscripts(
  db: Queryable,
  projectId: string,
  q: SearchQuery,
): Promise<{ rows: SearchRow[]; hasOlder: boolean }> {
  const pattern = `%${q.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const params: unknown[] = [projectId, pattern, q.text, q.limit + 1];
  let cursor = '';
  if (q.beforeId) {
    params.push(q.beforeId);
    cursor = 'and (created_at, id) < ((select created_at from transcripts where id = $5::uuid), $5::uuid)';
  }
  // The matches are found first and the snippets cut for the page only: computed in the scan, the snippet was made for
  // every match before the sort kept the newest (10 s for a word in all of 100k transcripts, against 4 s to scan them).
  const { rows } = await db.query<SearchRow>(
    `with page as (
       select id, created_at from transcripts
        where project_id = $1 and status = 'completed' and deleted_at is null and result->>'text' ilike $2 escape '\\' ${cursor}
        order by created_at desc, id desc limit $4)
     select t.id, t.status, t.created_at, t.completed_at, t.audio_url, t.error, t.deleted_at,
            substr(t.result->>'text', greatest(1, strpos(lower(t.result->>'text'), lower($3)) - ${CONTEXT}), length($3) + ${2 * CONTEXT}) as snippet
       from page join transcripts t on t.id = page.id
      order by page.created_at desc, page.id desc`,
    params,
  );
  return { rows: rows.slice(0, q.limit), hasOlder: rows.length > q.limit };
}
