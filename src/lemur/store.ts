import type { Queryable } from '../db/index.js';

/**
 * LeMUR answers, kept for `GET /lemur/v3/{request_id}` until purged. Only the answer as it was
 * sent is stored: prompts, context and input text are not kept.
 */
export async function insertLemurResponse(
  db: Queryable,
  r: { id: string; projectId: string; kind: string; model: string; body: unknown },
): Promise<void> {
  await db.query('insert into lemur_requests (id, project_id, kind, model, response) values ($1, $2, $3, $4, $5)', [
    r.id,
    r.projectId,
    r.kind,
    r.model,
    JSON.stringify(r.body),
  ]);
}

export async function getLemurResponse(db: Queryable, id: string, projectId: string): Promise<unknown | null> {
  const { rows } = await db.query<{ response: unknown }>('select response from lemur_requests where id = $1 and project_id = $2', [
    id,
    projectId,
  ]);
  return rows[0]?.response ?? null;
}

export async function deleteLemurResponse(db: Queryable, id: string, projectId: string): Promise<boolean> {
  const { rows } = await db.query('delete from lemur_requests where id = $1 and project_id = $2 returning id', [id, projectId]);
  return rows.length > 0;
}
