import { describe, expect, it } from 'vitest';
import { KNOWN_PATHS, matchRoute } from '../../../src/doctor/request/routes.js';
import { API_ROUTES, type ApiRoute } from '../../../src/http/api-routes.js';

describe('the request check knows the routes the server registers', () => {
  it('every API route is matched, with the methods it is registered for', () => {
    for (const { path, methods, values } of Object.values(API_ROUTES) as ApiRoute[]) {
      const sample = path.replace(/:(\w+)/g, (_, name: string) => values?.[name]?.[0] ?? 'abc');
      const match = matchRoute(sample);
      expect(match, sample).not.toBeNull();
      for (const m of methods) expect(match!.route.methods, sample).toContain(m);
    }
  });

  it('a parameter with fixed values matches only those', () => {
    expect(matchRoute('/v2/transcript/abc/vtt')?.route.name).toBe('transcript-sub');
    expect(matchRoute('/v2/transcript/abc/txt')).toBeNull();
    expect(matchRoute('/lemur/v3/generate/action-items')?.route.name).toBe('lemur');
    expect(matchRoute('/lemur/v3/abc')).toMatchObject({ route: { name: 'lemur-get', display: '/lemur/v3/{id}' }, id: 'abc' });
  });

  it('suggests every REST path, with fixed values spelt out, and no WebSocket', () => {
    expect(KNOWN_PATHS).toContain('/v2/transcript/{id}/srt');
    expect(KNOWN_PATHS).toContain('/lemur/v3/generate/action-items');
    expect(KNOWN_PATHS.some((p) => p.includes('{format}') || p.endsWith('/ws'))).toBe(false);
  });
});
