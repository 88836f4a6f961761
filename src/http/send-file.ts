import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from './errors.js';

export interface FileToSend {
  /** The bytes, all of them or an inclusive range (wherever they are stored: disk, object store). */
  open: (range?: { start: number; end: number }) => Promise<Readable>;
  size: number;
  mtime: Date;
  contentType: string;
  cacheControl: string;
}

/**
 * The byte range a `Range` header asks for, inclusive; null to send the whole file (no header, a
 * syntax we ignore as RFC 9110 allows, or several ranges); 'unsatisfiable' for a range past the end.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'unsatisfiable' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    // Suffix range: the last N bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return null;
  return { start, end };
}

/** Sends a file with validators and single-range support, so media elements can seek without downloading it all. */
export async function sendFile(request: FastifyRequest, reply: FastifyReply, file: FileToSend): Promise<FastifyReply> {
  const etag = `W/"${file.size.toString(16)}-${Math.floor(file.mtime.getTime()).toString(16)}"`;
  reply.header('accept-ranges', 'bytes');
  reply.header('etag', etag);
  reply.header('last-modified', file.mtime.toUTCString());
  reply.header('cache-control', file.cacheControl);
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();

  const ifRange = request.headers['if-range'];
  const range = ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, file.size) : null;
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${file.size}`);
    throw errors.rangeNotSatisfiable();
  }
  reply.type(file.contentType);
  if (range) {
    reply.code(206);
    reply.header('content-range', `bytes ${range.start}-${range.end}/${file.size}`);
    reply.header('content-length', range.end - range.start + 1);
    return reply.send(await file.open(range));
  }
  reply.header('content-length', file.size);
  return reply.send(await file.open());
}
