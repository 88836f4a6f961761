import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { TranscriptRow } from '../transcript/types.js';
import { UUID } from '../uuid.js';
import { errors } from './errors.js';

/** The caller's transcript, or upstream's 400 "not found" (also for another project's id). */
export async function findTranscript(ctx: AppContext, request: FastifyRequest<{ Params: { id: string } }>): Promise<TranscriptRow> {
  const { id } = request.params;
  const row = UUID.test(id) ? await ctx.transcripts.get(id.toLowerCase(), request.projectId) : null;
  if (!row) throw errors.transcriptNotFound();
  return row;
}
