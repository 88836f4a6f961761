/**
 * AssemblyAI's API as Earshot serves it: the route files register these paths and `earshot doctor`
 * checks a pasted request against them, so the two cannot drift apart. Earshot's own routes
 * (console, status, keys, audio, peaks, sync) are not part of it.
 */
export interface ApiRoute {
  path: string;
  methods: readonly string[];
  /** The values a `:param` takes, when the route answers 404 to any other. */
  values?: Record<string, readonly string[]>;
}

/** The LeMUR kinds, each its own `POST /lemur/v3/generate/<kind>`. */
export const LEMUR_KINDS = ['task', 'summary', 'question-answer', 'action-items'] as const;
export const SUBTITLE_FORMATS: readonly string[] = ['srt', 'vtt'];

export const API_ROUTES = {
  upload: { path: '/v2/upload', methods: ['POST'] },
  uploadFile: { path: '/v2/upload/:id', methods: ['GET'] },
  transcripts: { path: '/v2/transcript', methods: ['POST', 'GET'] },
  transcript: { path: '/v2/transcript/:id', methods: ['GET', 'DELETE'] },
  sentences: { path: '/v2/transcript/:id/sentences', methods: ['GET'] },
  paragraphs: { path: '/v2/transcript/:id/paragraphs', methods: ['GET'] },
  subtitles: { path: '/v2/transcript/:id/:format', methods: ['GET'], values: { format: SUBTITLE_FORMATS } },
  wordSearch: { path: '/v2/transcript/:id/word-search', methods: ['GET'] },
  redactedAudio: { path: '/v2/transcript/:id/redacted-audio', methods: ['GET'] },
  webhookDeliveries: { path: '/v2/transcript/:id/webhook-deliveries', methods: ['GET'] },
  lemur: { path: '/lemur/v3/generate/:kind', methods: ['POST'], values: { kind: LEMUR_KINDS } },
  lemurResponse: { path: '/lemur/v3/:request_id', methods: ['GET', 'DELETE'] },
  v3Token: { path: '/v3/token', methods: ['GET'] },
  v2Token: { path: '/v2/realtime/token', methods: ['POST'] },
  v3Socket: { path: '/v3/ws', methods: ['GET'] },
  v2Socket: { path: '/v2/realtime/ws', methods: ['GET'] },
  doctor: { path: '/v2/doctor', methods: ['GET'] },
  chatCompletions: { path: '/v1/chat/completions', methods: ['POST'] },
  models: { path: '/v1/models', methods: ['GET'] },
  health: { path: '/health', methods: ['GET'] },
} as const satisfies Record<string, ApiRoute>;
