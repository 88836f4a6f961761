import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { Authenticator } from '../http/auth.js';
import { errors } from '../http/errors.js';
import { activeKeyRow, createProjectKey, hashKey, listProjectKeys, revokeProjectKey, type ProjectKey } from '../storage/keys.js';
import { upstreamTimestamp } from '../transcript/view.js';

const MAX_NAME = 100;

/**
 * Earshot extension: a project's keys, managed with any of its keys (every key of a project already
 * has full access to its transcripts). Keys are shown by prefix; a new key is returned once.
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
    app.get('/v2/keys', async (request) => {
      const [keys, current] = await Promise.all([listProjectKeys(ctx.db, request.projectId), currentKeyId(request)]);
      return { keys: keys.map((k) => view(k, current)) };
    });

    app.post<{ Body: { name?: unknown } | undefined }>('/v2/keys', async (request) => {
      const name = request.body?.name ?? 'console';
      if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME) {
        throw errors.invalidParam(`name must be a non-empty String of at most ${MAX_NAME} characters`);
      }
      const created = await createProjectKey(ctx.db, request.projectId, name.trim());
      request.log.info({ key: created.id }, 'api key created');
      return { ...view(created, null), key: created.key };
    });

    app.delete<{ Params: { id: string } }>('/v2/keys/:id', async (request) => {
      if (request.params.id.toLowerCase() === (await currentKeyId(request))) throw errors.keyRevokesItself();
      if (!(await revokeProjectKey(ctx.db, request.projectId, request.params.id))) throw errors.keyNotFound();
      request.log.info({ key: request.params.id }, 'api key revoked');
      const keys = await listProjectKeys(ctx.db, request.projectId);
      return view(keys.find((k) => k.id === request.params.id.toLowerCase())!, null);
    });
  };
}
