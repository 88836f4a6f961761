import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { Authenticator } from '../http/auth.js';
import { ApiError, errors } from '../http/errors.js';
import {
  activeKeyRow,
  createProjectKey,
  ensureProject,
  hashKey,
  isOperatorProject,
  listKeys,
  listProjectKeys,
  revokeProjectKey,
  type ProjectKey,
} from '../storage/keys.js';
import { upstreamTimestamp } from '../transcript/view.js';

const MAX_NAME = 100;

const forbidden = (what: string) => new ApiError(403, `Only keys of the server's own project ("default") may ${what}`, 'KEYS_FORBIDDEN');

/**
 * Earshot extension: a project's keys, managed with any of its keys (every key of a project already
 * has full access to its transcripts). Keys are shown by prefix; a new key is returned once.
 * Operators (keys of the "default" project) manage every project's keys: `?all=true` lists them,
 * `project` creates a key in any project, and a key of any project can be revoked. This is how
 * `earshot keys` works beside a server that holds the embedded database.
 */
export function keyRoutes(ctx: AppContext): FastifyPluginAsync {
  const view = (k: ProjectKey, currentId: string | null) => ({
    id: k.id,
    name: k.name,
    key_prefix: k.key_prefix,
    created_at: upstreamTimestamp(k.created_at),
    revoked_at: k.revoked_at ? upstreamTimestamp(k.revoked_at) : null,
    current: k.id === currentId,
  });
  /** The id of the key this request authenticated with. */
  const currentKeyId = async (request: FastifyRequest) => {
    const key = Authenticator.keyFrom(request.headers.authorization);
    return key ? ((await activeKeyRow(ctx.db, { hash: hashKey(key) }))?.id ?? null) : null;
  };

  return async (app) => {
    app.get<{ Querystring: { all?: string } }>('/v2/keys', async (request) => {
      const current = await currentKeyId(request);
      if (request.query.all === 'true') {
        if (!(await isOperatorProject(ctx.db, request.projectId))) throw forbidden("list every project's keys");
        const keys = await listKeys(ctx.db);
        return { keys: keys.map((k) => ({ ...view(k, current), project_id: k.project_id, project: k.project })) };
      }
      const keys = await listProjectKeys(ctx.db, request.projectId);
      return { keys: keys.map((k) => view(k, current)) };
    });

    app.post<{ Body: { name?: unknown; project?: unknown } | undefined }>('/v2/keys', async (request) => {
      const name = request.body?.name ?? 'console';
      if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME) {
        throw errors.invalidParam(`name must be a non-empty String of at most ${MAX_NAME} characters`);
      }
      const project = request.body?.project;
      if (project !== undefined && (typeof project !== 'string' || project.trim() === '' || project.length > MAX_NAME)) {
        throw errors.invalidParam(`project must be a non-empty String of at most ${MAX_NAME} characters`);
      }
      let projectId = request.projectId;
      if (project !== undefined) {
        const { rows } = await ctx.db.query<{ id: string }>('select id from projects where name = $1', [project.trim()]);
        if (rows[0]?.id !== request.projectId) {
          if (!(await isOperatorProject(ctx.db, request.projectId))) throw forbidden('create keys in another project');
          projectId = rows[0]?.id ?? (await ensureProject(ctx.db, project.trim()));
        }
      }
      const created = await createProjectKey(ctx.db, projectId, name.trim());
      request.log.info({ key: created.id }, 'api key created');
      return { ...view(created, null), key: created.key };
    });

    app.delete<{ Params: { id: string } }>('/v2/keys/:id', async (request) => {
      if (request.params.id.toLowerCase() === (await currentKeyId(request))) throw errors.keyRevokesItself();
      let projectId = request.projectId;
      const row = await activeKeyRow(ctx.db, { id: request.params.id });
      if (row && row.project_id !== projectId && (await isOperatorProject(ctx.db, projectId))) projectId = row.project_id;
      if (!(await revokeProjectKey(ctx.db, projectId, request.params.id))) throw errors.keyNotFound();
      ctx.auth.forgetAll();
      request.log.info({ key: request.params.id }, 'api key revoked');
      const keys = await listProjectKeys(ctx.db, projectId);
      return view(keys.find((k) => k.id === request.params.id.toLowerCase())!, null);
    });
  };
}
