import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerModels } from '../../src/cli/models.js';
import { listInstalled, modelsDir } from '../../src/models/store.js';

let dataDir: string;
let out: string;
let err: string;

/** Runs `earshot models …` in-process, capturing what it prints. */
async function models(...args: string[]): Promise<void> {
  const program = new Command().exitOverride();
  registerModels(program);
  await program.parseAsync(['models', ...args, '--data-dir', dataDir], { from: 'user' });
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'earshot-cli-models-'));
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = undefined;
});

afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  delete process.env.EARSHOT_MODEL_BASE_URL;
  await rm(dataDir, { recursive: true, force: true });
});

describe('earshot models', () => {
  it('list marks installed models and shows sizes', async () => {
    await mkdir(modelsDir(dataDir));
    await writeFile(join(modelsDir(dataDir), 'ggml-tiny.en.bin'), 'x');
    await writeFile(join(modelsDir(dataDir), 'ggml-custom.bin'), 'x');
    await models('list');
    expect(out).toMatch(/^\* tiny\.en +78 MB {2}English$/m);
    expect(out).toMatch(/^ {2}base\.en +148 MB {2}English$/m);
    expect(out).toMatch(/^\* custom .*not in catalogue/m);
  });

  it('pull refuses an unknown name', async () => {
    await models('pull', 'huge-v9');
    expect(process.exitCode).toBe(1);
    expect(err).toMatch(/Unknown model "huge-v9".*base\.en/);
  });

  it('pull fetches from EARSHOT_MODEL_BASE_URL and installs nothing that does not match the catalogue', async () => {
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url!);
      res.end('not really a model');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.EARSHOT_MODEL_BASE_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m`;
    try {
      await expect(models('pull', 'tiny', '--quiet')).rejects.toThrow(/catalogue says 77691713/);
    } finally {
      server.close();
    }
    expect(paths).toEqual(['/m/ggml-tiny.bin']);
    expect(await listInstalled(dataDir)).toEqual([]);
  });

  it('pull does nothing when the model is already installed', async () => {
    await mkdir(modelsDir(dataDir));
    await writeFile(join(modelsDir(dataDir), 'ggml-tiny.bin'), 'x');
    process.env.EARSHOT_MODEL_BASE_URL = 'http://127.0.0.1:9'; // would fail if contacted
    await models('pull', 'tiny');
    expect(err).toMatch(/already installed/);
  });

  it('rm deletes an installed model and fails for a missing one', async () => {
    await mkdir(modelsDir(dataDir));
    await writeFile(join(modelsDir(dataDir), 'ggml-tiny.bin'), 'x');
    await models('rm', 'tiny');
    expect(out).toBe('Removed tiny.\n');
    expect(await listInstalled(dataDir)).toEqual([]);
    await models('rm', 'tiny');
    expect(process.exitCode).toBe(1);
  });
});
