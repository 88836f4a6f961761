import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { errors } from '../http/errors.js';
import { toParagraphs, toSentences } from '../text/segments.js';
import { toSrt, toVtt } from '../text/subtitles.js';
import { searchWords } from '../text/word-search.js';
import type { TranscriptResult } from '../transcript/types.js';
import { findTranscript } from '../http/transcript-lookup.js';
import { API_ROUTES, SUBTITLE_FORMATS } from '../http/api-routes.js';

type IdRequest = FastifyRequest<{ Params: { id: string }; Querystring: Record<string, string | undefined> }>;

/** Sub-resources computed from a completed transcript's words: sentences, paragraphs, subtitles, word search. */
export function transcriptExportRoutes(ctx: AppContext): FastifyPluginAsync {
  async function completed(request: IdRequest): Promise<{ id: string; result: TranscriptResult }> {
    const row = await findTranscript(ctx, request);
    if (row.status !== 'completed' || !row.result || row.deleted_at) throw errors.notReady(row.deleted_at ? 'deleted' : row.status);
    return { id: row.id, result: row.result };
  }

  return async (app) => {
    app.get(API_ROUTES.sentences.path, async (request: IdRequest) => {
      const { id, result } = await completed(request);
      return { id, confidence: result.confidence ?? 0, audio_duration: result.audio_duration, sentences: toSentences(result.words) };
    });

    app.get(API_ROUTES.paragraphs.path, async (request: IdRequest) => {
      const { id, result } = await completed(request);
      return { id, confidence: result.confidence ?? 0, audio_duration: result.audio_duration, paragraphs: toParagraphs(result.words) };
    });

    app.get(
      API_ROUTES.subtitles.path,
      async (
        request: FastifyRequest<{ Params: { id: string; format: string }; Querystring: Record<string, string | undefined> }>,
        reply,
      ) => {
        const { format } = request.params;
        if (!SUBTITLE_FORMATS.includes(format)) throw errors.notFound();
        let chars: number | undefined;
        const raw = request.query.chars_per_caption;
        if (raw !== undefined) {
          chars = Number(raw);
          if (!Number.isInteger(chars) || chars < 1) throw errors.invalidParam('chars_per_caption must be a positive Integer');
        }
        const { result } = await completed(request);
        reply.type('text/plain; charset=utf-8');
        return format === 'srt' ? toSrt(result.words, chars) : toVtt(result.words, chars);
      },
    );

    app.get(API_ROUTES.wordSearch.path, async (request: IdRequest) => {
      // `words=a,b` as the SDKs send it; a repeated `words=a&words=b` arrives as an array.
      const raw: string | string[] | undefined = request.query.words;
      const terms = [raw ?? '']
        .flat()
        .join(',')
        .split(',')
        .map((w) => w.trim())
        .filter(Boolean);
      if (terms.length === 0) throw errors.invalidParam('words must be a comma-separated list of words or phrases');
      const tooLong = terms.find((t) => t.split(/\s+/).length > 5);
      if (tooLong) throw errors.invalidParam(`Phrases may have up to 5 words: "${tooLong}"`);
      const { id, result } = await completed(request);
      return { id, ...searchWords(result.words, terms) };
    });
  };
}
