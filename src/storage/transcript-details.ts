import type { Queryable } from '../db/index.js';

/** What the console shows of a transcript beyond upstream's list item: its file's name and its length. */
export interface TranscriptDetails {
  id: string;
  file_name: string | null;
  /** Seconds, as the transcript's `audio_duration`; null until completed, and once deleted. */
  audio_duration: number | null;
}

/** Details of those of `ids` that belong to the project; other ids are left out. */
export async function transcriptDetails(db: Queryable, projectId: string, ids: string[]): Promise<TranscriptDetails[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<TranscriptDetails>(
    `select id, case when deleted_at is null then file_name end as file_name,
            case when deleted_at is null then (result->>'audio_duration')::float8 end as audio_duration
       from transcripts where project_id = $1 and id = any($2::uuid[])`,
    [projectId, ids],
  );
  return rows;
}

/** Names a transcript of the project after its file; false when there is no such (live) transcript. */
export async function setFileName(db: Queryable, projectId: string, id: string, name: string): Promise<boolean> {
  const { rows } = await db.query(
    'update transcripts set file_name = $3 where id = $1 and project_id = $2 and deleted_at is null returning id',
    [id, projectId, name],
  );
  return rows.length > 0;
}
