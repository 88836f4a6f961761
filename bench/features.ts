import { measureLlmOverhead, measurePromptAssembly } from './lemur.js';
import { measureProbeCost, measureStatusPageRender } from './status.js';
import { loadConfig } from '../src/config.js';
import { measureStreaming } from './streaming.js';
import { findVadModel } from '../src/streaming/vad.js';
import { consoleFirstRender } from './console.js';
import { librivoxClips } from './audio.js';
import { failed, metric, type BenchContext, type Measurement, type MetricSpec } from './measures.js';
import { launchServer } from './server.js';

const quick = (b: BenchContext) => b.sizes.runs === 1;

// ─── streaming ────────────────────────────────────────────────────────────────────────────────

// Timed from the speech's end on labelled turns (espeak-ng sentences and fragments, LibriVox clauses): a complete
// turn waits for min_turn_silence (400 ms) plus processing; an incomplete one should wait for max_turn_silence (1280 ms).
const EOT: MetricSpec = {
  id: 'streaming_eot_p50',
  name: 'Streaming end of turn p50, complete turns (speech end → end_of_turn), defaults: min_turn_silence=400',
  unit: 'ms',
  op: '<=',
  target: 500,
};
const EOT_FAST: MetricSpec = {
  id: 'streaming_eot_fast_p50',
  name: 'Streaming end of turn p50 with min_turn_silence=160, max_turn_silence=400 (speech end → end_of_turn)',
  unit: 'ms',
  op: '<=',
  target: 300,
};
const EOT_INCOMPLETE: MetricSpec = {
  id: 'streaming_eot_incomplete_early',
  name: 'Streaming: incomplete turns ended before max_turn_silence, defaults',
  unit: '%',
  op: '<=',
  target: 10,
};
const PARTIAL: MetricSpec = {
  id: 'streaming_word_partial_p50',
  name: 'Word spoken → first partial with it, p50',
  unit: 'ms',
  op: '<=',
  target: 1000,
};
const SESSIONS: MetricSpec = {
  id: 'streaming_sessions',
  name: 'Real-time streaming sessions before end of turn passes 1 s',
  unit: 'sessions',
  op: '>=',
  target: 2,
};

export const streaming: Measurement = {
  name: 'streaming',
  metrics: [EOT, EOT_FAST, EOT_INCOMPLETE, PARTIAL, SESSIONS],
  async run(b) {
    // The VAD this machine's server would use (EARSHOT_VAD_MODEL, else the installed silero-vad).
    const vad = await findVadModel(loadConfig());
    const vadNote = vad ? 'Silero VAD' : 'energy VAD (Silero not installed)';
    // No status probes: the start-up round (a transcription and a live session) would land on the first sessions timed.
    const server = await launchServer({
      bin: b.bin,
      tmp: b.tmp,
      name: 'streaming',
      env: { EARSHOT_STREAMING_MAX_SESSIONS: '100', EARSHOT_VAD_MODEL: vad ?? '', EARSHOT_STATUS_PROBE_SECONDS: '0' },
      cleanup: b.cleanup,
    });
    try {
      const m = await measureStreaming({
        url: server.url,
        key: server.key,
        clips: librivoxClips().slice(0, quick(b) ? 1 : 5),
        vadModel: vad,
        maxSessions: quick(b) ? 2 : 24,
      });
      const specs = [EOT, EOT_FAST, EOT_INCOMPLETE, PARTIAL, SESSIONS];
      return m.map((x, i) => metric(specs[i]!, x.value, { note: [vadNote, x.note].filter(Boolean).join('; ') }));
    } finally {
      await server.destroy();
    }
  },
};

// ─── web console ──────────────────────────────────────────────────────────────────────────────

const FIRST_RENDER: MetricSpec = {
  id: 'console_first_render',
  name: 'Console: first render of a 2-hour transcript (median of 5)',
  unit: 'ms',
  op: '<',
  target: 500,
};

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

// ─── LeMUR / LLM ──────────────────────────────────────────────────────────────────────────────

const LLM_OVERHEAD: MetricSpec = {
  id: 'llm_overhead',
  name: 'LLM: Earshot /v1/chat/completions vs node-llama-cpp directly (CPU time)',
  unit: '×',
  op: '<=',
  target: 1.05,
};
const PROMPT_ASSEMBLY: MetricSpec = {
  id: 'llm_prompt_assembly',
  name: 'LeMUR prompt assembly for a 10-hour transcript',
  unit: 'ms',
  op: '<',
  target: 200,
};

export const llm: Measurement = {
  name: 'llm',
  metrics: [LLM_OVERHEAD, PROMPT_ASSEMBLY],
  async run(b) {
    const out = [];
    try {
      const m = await measureLlmOverhead({ runs: quick(b) ? 3 : 7 });
      out.push(metric(LLM_OVERHEAD, m.value, { note: m.note ?? '' }));
    } catch (err) {
      out.push(failed(LLM_OVERHEAD, err));
    }
    try {
      const m = await measurePromptAssembly();
      out.push(metric(PROMPT_ASSEMBLY, m.value, { note: m.note ?? '' }));
    } catch (err) {
      out.push(failed(PROMPT_ASSEMBLY, err));
    }
    return out;
  },
};

// ─── status page ──────────────────────────────────────────────────────────────────────────────

const STATUS_RENDER: MetricSpec = {
  id: 'status_render',
  name: 'Status page: render /status with 90 days of 5-minute probes, 5 components',
  unit: 'ms',
  op: '<',
  target: 50,
};
const PROBE_COST: MetricSpec = {
  id: 'status_probe_cost',
  name: 'Status probes: delay to user jobs on a busy server',
  unit: '%',
  op: '<=',
  target: 2,
};

export const statusPage: Measurement = {
  name: 'status',
  metrics: [STATUS_RENDER, PROBE_COST],
  async run() {
    const out = [];
    for (const [spec, measure] of [
      [STATUS_RENDER, measureStatusPageRender],
      [PROBE_COST, measureProbeCost],
    ] as const) {
      try {
        const m = await measure();
        out.push(metric(spec, m.value, { note: m.note ?? '' }));
      } catch (err) {
        out.push(failed(spec, err));
      }
    }
    return out;
  },
};
