import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm run build` puts the console (vite's outDir), next to the compiled server. */
export const CONSOLE_DIR = fileURLToPath(new URL('../console/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The console talks only to this origin; media may come from a transcript's own audio_url anywhere.
 * 'self' covers same-host ws: and wss: in current browsers.
 */
const CSP = [
  "default-src 'self'",
  "connect-src 'self'",
  "media-src 'self' blob: http: https:",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
  cacheControl: string;
}

/** Every file of the build, read once: the console is small, and only known paths can ever be served. */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (sub: string) => {
    for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.posix.join(sub, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile()) {
        const body = readFileSync(path.join(dir, rel));
        const type = TYPES[path.extname(entry.name)] ?? 'application/octet-stream';
        const compressible = /^text\/|javascript|json|svg/.test(type) && body.length > 1024;
        assets.set(`/${rel}`, {
          body,
          gzip: compressible ? gzipSync(body, { level: 9 }) : null,
          type,
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
          // Vite names files under assets/ by content hash: they never change. The page itself must be revalidated.
          cacheControl: rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        });
      }
    }
  };
  walk('');
  return assets;
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset): FastifyReply {
  reply.header('cache-control', asset.cacheControl);
  reply.header('etag', asset.etag);
  reply.header('vary', 'accept-encoding');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  if (asset.type.startsWith('text/html')) reply.header('content-security-policy', CSP);
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  reply.type(asset.type);
  const gzip = asset.gzip && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  if (gzip) reply.header('content-encoding', 'gzip');
  return reply.send(gzip ? asset.gzip : asset.body);
}

/** The web console at `/`: the built files of `console/`, one route each. */
export function consoleRoutes(dir: string = CONSOLE_DIR): FastifyPluginAsync {
  return async (app) => {
    const built = statSync(path.join(dir, 'index.html'), { throwIfNoEntry: false })?.isFile() ?? false;
    if (!built) {
      app.get('/', { config: { public: true } }, async (_request, reply) =>
        reply.code(503).type('text/plain; charset=utf-8').send('The web console is not built. Run `npm run build` and restart Earshot.\n'),
      );
      return;
    }
    const assets = loadAssets(dir);
    const index = assets.get('/index.html')!;
    app.get('/', { config: { public: true } }, async (request, reply) => send(request, reply, index));
    for (const [url, asset] of assets) {
      // Route syntax (`:`, `*`) must not sneak in through a file name; vite's names never have it.
      if (url === '/index.html' || !/^[\w./-]+$/.test(url)) continue;
      app.get(url, { config: { public: true } }, async (request, reply) => send(request, reply, asset));
    }
  };
}
