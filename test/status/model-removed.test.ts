import { cpSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR } from '../../src/engines/pocketsphinx.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { fastStatusEnv, getJson, waitForComponent } from './helpers.js';

/**
 * The speech model is removed from disk under a running server (a copy of Debian's pocketsphinx
 * model, pointed at by EARSHOT_POCKETSPHINX_MODEL_DIR). Every job and every streaming session loads
 * a fresh decoder (the same audio gives the same words), so both are down at once, and the page says
 * which files are missing; putting the model back resolves it without a restart.
 */
describe('status page: the speech model is removed', () => {
  let server: TestServer;
  let dir: string;
  let model: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'earshot-model-'));
    model = path.join(dir, 'en-us');
    cpSync(DEFAULT_MODEL_DIR, model, { recursive: true });
    server = await startServer({ env: fastStatusEnv({ EARSHOT_POCKETSPHINX_MODEL_DIR: model, EARSHOT_CONCURRENCY: '1' }) });
    await waitForComponent(server, 'transcription', 'operational');
    await waitForComponent(server, 'streaming', 'operational');
  });

  afterAll(async () => {
    await server?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports transcription and streaming as a major outage naming the missing files, and opens an incident', async () => {
    renameSync(model, `${model}.away`);
    const s = await waitForComponent(server, 'transcription', 'major_outage');
    expect(s.status.indicator).toBe('critical');
    const incident = s.incidents.find((i) => i.components.some((c) => c.id === 'transcription'))!;
    expect(incident).toMatchObject({ name: 'Transcription: major outage', impact: 'critical', status: 'investigating' });
    expect(incident.incident_updates[0]!.body).toContain(
      `model files missing: ${model}/en-us, ${model}/en-us.lm.bin, ${model}/cmudict-en-us.dict`,
    );
    await waitForComponent(server, 'streaming', 'major_outage');
    const page = await (await fetch(new URL('/status', server.url))).text();
    expect(page).toMatch(/data-component="transcription" data-status="major_outage"/);
  }, 120_000);

  it('resolves the incidents once the model is back, without a restart', async () => {
    renameSync(`${model}.away`, model);
    await waitForComponent(server, 'transcription', 'operational');
    const s = await waitForComponent(server, 'streaming', 'operational');
    expect(s.incidents).toEqual([]);
    const { incidents } = await getJson<{ incidents: { name: string; status: string }[] }>(server, '/api/v2/incidents.json');
    expect(incidents.map((i) => [i.name, i.status])).toContainEqual(['Transcription: major outage', 'resolved']);
  }, 120_000);
});
