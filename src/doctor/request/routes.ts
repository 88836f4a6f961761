/**
 * The API's routes as the request check names and shows them, built from the table the route
 * files register (src/http/api-routes.ts): a path is an API call exactly when the server has it.
 */
import { API_ROUTES as API, type ApiRoute } from '../../http/api-routes.js';

export interface Route {
  /** What the rules key on. */
  name: string;
  methods: readonly string[];
  /** The path as a finding shows it. */
  display: string;
}

/** Routes the check tells apart; a group's display stands for all its paths. */
const GROUPS: { name: string; of: ApiRoute[]; display?: string }[] = [
  { name: 'upload', of: [API.upload] },
  { name: 'upload-get', of: [API.uploadFile] },
  { name: 'transcripts', of: [API.transcripts] },
  { name: 'transcript', of: [API.transcript] },
  {
    name: 'transcript-sub',
    of: [API.sentences, API.paragraphs, API.subtitles, API.wordSearch, API.redactedAudio, API.webhookDeliveries],
    display: '/v2/transcript/{id}/…',
  },
  { name: 'lemur', of: [API.lemur], display: '/lemur/v3/generate/…' },
  { name: 'lemur-get', of: [API.lemurResponse] },
  { name: 'v3-token', of: [API.v3Token] },
  { name: 'v2-token', of: [API.v2Token] },
  { name: 'websocket', of: [API.v3Socket, API.v2Socket] },
  { name: 'doctor', of: [API.doctor] },
  { name: 'llm-gateway', of: [API.chatCompletions] },
  { name: 'llm-models', of: [API.models] },
  { name: 'health', of: [API.health] },
];

const shown = (path: string) => path.replace(/:\w+/g, '{id}');

/** `:id` matches one segment, a param with fixed values only those. */
function patternOf({ path, values }: ApiRoute): RegExp {
  const source = path
    .split(/(:\w+)/)
    .map((part) => {
      if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const only = values?.[part.slice(1)];
      return only ? `(${only.join('|')})` : '([^/]+)';
    })
    .join('');
  return new RegExp(`^${source}$`);
}

const ROUTES = GROUPS.map(({ name, of, display }) => ({
  route: { name, methods: [...new Set(of.flatMap((r) => r.methods))], display: display ?? shown(of[0]!.path) } satisfies Route,
  patterns: of.map(patternOf),
}));

/** The route a path is, and its first parameter (the transcript, upload or LeMUR id). */
export function matchRoute(path: string): { route: Route; id: string | undefined } | null {
  for (const { route, patterns } of ROUTES) {
    for (const pattern of patterns) {
      const m = pattern.exec(path);
      if (m) return { route, id: m[1] };
    }
  }
  return null;
}

/** A route's paths with its fixed-value params filled in, e.g. `/v2/transcript/{id}/srt` and `…/vtt`. */
function pathsOf({ path, values }: ApiRoute): string[] {
  let paths = [path];
  for (const [param, only] of Object.entries(values ?? {})) paths = paths.flatMap((p) => only.map((v) => p.replace(`:${param}`, v)));
  return paths.map(shown);
}

/** The REST paths a mistyped one is compared with, streaming sockets aside. */
export const KNOWN_PATHS = GROUPS.filter((g) => g.name !== 'websocket').flatMap((g) => g.of.flatMap(pathsOf));
