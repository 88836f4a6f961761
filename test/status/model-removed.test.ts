import { cpSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR } from '../../src/engines/pocketsphinx.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { fastStatusEnv, getJson, waitForComponent } from './helpers.js';

/**
 * The speech model is removed from disk under a running server (a copy of Debian's pocketsphinx
 * model, pointed at by EARSHOT_POCKETSPHINX_MODEL_DIR). Engine threads already loaded keep working,
 * so transcription is a partial outage, not a major one; putting the model back resolves it.
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

  it('reports transcription as a partial outage naming the missing files, and opens an incident', async () => {
    renameSync(model, `${model}.away`);
    const s = await waitForComponent(server, 'transcription', 'partial_outage');
    expect(s.status.indicator).toBe('major');
    const incident = s.incidents.find((i) => i.components.some((c) => c.id === 'transcription'))!;
    expect(incident).toMatchObject({ name: 'Transcription: partial outage', impact: 'major', status: 'investigating' });
    expect(incident.incident_updates[0]!.body).toContain(`model files missing: ${model}/en-us, ${model}/en-us.lm.bin, ${model}/cmudict-en-us.dict`);
    // The streaming decoder already holds its model: streaming is still fine, and says so on its own.
    expect(s.components.find((c) => c.id === 'streaming')!.status).toBe('operational');
    const page = await (await fetch(new URL('/status', server.url))).text();
    expect(page).toMatch(/data-component="transcription" data-status="partial_outage"/);
  });

  it('resolves the incident once the model is back', async () => {
    renameSync(`${model}.away`, model);
    const s = await waitForComponent(server, 'transcription', 'operational');
    expect(s.incidents).toEqual([]);
    const { incidents } = await getJson<{ incidents: { name: string; status: string }[] }>(server, '/api/v2/incidents.json');
    expect(incidents[0]).toMatchObject({ name: 'Transcription: partial outage', status: 'resolved' });
  });
});
