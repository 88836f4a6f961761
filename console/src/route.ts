import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routes (`#/t/<id>`), so the server needs no fallback page and API paths never collide
 * with console paths.
 */
export type Route =
  | { name: 'transcripts' }
  | { name: 'transcript'; id: string }
  | { name: 'stream' }
  | { name: 'lemur'; ids: string[] }
  | { name: 'keys' }
  | { name: 'status' };

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  switch (parts[0]) {
    case 't':
      if (parts[1]) return { name: 'transcript', id: decodeURIComponent(parts[1]) };
      break;
    case 'stream':
      return { name: 'stream' };
    case 'lemur':
      return { name: 'lemur', ids: (new URLSearchParams(query).get('ids') ?? '').split(',').filter(Boolean) };
    case 'keys':
      return { name: 'keys' };
    case 'status':
      return { name: 'status' };
  }
  return { name: 'transcripts' };
}

export const href = {
  transcripts: () => '#/',
  transcript: (id: string) => `#/t/${encodeURIComponent(id)}`,
  stream: () => '#/stream',
  lemur: (ids: string[] = []) => (ids.length ? `#/lemur?ids=${ids.join(',')}` : '#/lemur'),
  keys: () => '#/keys',
  status: () => '#/status',
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
