import { measureStreaming } from '../streaming/bench.js';
import { consoleFirstRender } from './console.js';
import { librivoxClips } from './audio.js';
import { failed, metric, type BenchContext, type Measurement, type MetricSpec } from './measures.js';
import { launchServer } from './server.js';

const quick = (b: BenchContext) => b.sizes.runs === 1;

// ─── streaming ────────────────────────────────────────────────────────────────────────────────

const EOT: MetricSpec = { id: 'streaming_eot_p50', name: 'Streaming end of turn p50 (last word sent → end_of_turn), defaults', unit: 'ms', op: '<=', target: 300 };
const EOT_FAST: MetricSpec = { id: 'streaming_eot_fast_p50', name: 'Streaming end of turn p50 with min_turn_silence=160', unit: 'ms', op: '<=', target: 300 };
const PARTIAL: MetricSpec = { id: 'streaming_word_partial_p50', name: 'Word spoken → first partial with it, p50', unit: 'ms', op: '<=', target: 1000 };
const SESSIONS: MetricSpec = { id: 'streaming_sessions', name: 'Real-time streaming sessions before end of turn passes 1 s', unit: 'sessions', op: '>=', target: 2 };

export const streaming: Measurement = {
  name: 'streaming',
  metrics: [EOT, EOT_FAST, PARTIAL, SESSIONS],
  async run(b) {
    const server = await launchServer({ bin: b.bin, tmp: b.tmp, name: 'streaming', env: { EARSHOT_STREAMING_MAX_SESSIONS: '100' }, cleanup: b.cleanup });
    try {
      const m = await measureStreaming({ url: server.url, key: server.key, clips: librivoxClips().slice(0, quick(b) ? 1 : 3), maxSessions: quick(b) ? 2 : 24 });
      const specs = [EOT, EOT_FAST, PARTIAL, SESSIONS];
      return m.map((x, i) => metric(specs[i]!, x.value, { note: x.note ?? '' }));
    } finally {
      await server.destroy();
    }
  },
};

// ─── web console ──────────────────────────────────────────────────────────────────────────────

const FIRST_RENDER: MetricSpec = { id: 'console_first_render', name: 'Console: first render of a 2-hour transcript (median of 5)', unit: 'ms', op: '<', target: 500 };

export const consoleRender: Measurement = {
  name: 'console',
  metrics: [FIRST_RENDER],
  async run() {
    try {
      const m = await consoleFirstRender();
      return [metric(FIRST_RENDER, m.value)];
    } catch (err) {
      return [failed(FIRST_RENDER, err)];
    }
  },
};
