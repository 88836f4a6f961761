import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findModel, listInstalled, modelsDir, removeModel } from '../../src/models/store.js';

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'earshot-store-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('model store', () => {
  it('keeps models in <dataDir>/models/ggml-<name>.bin', async () => {
    expect(modelsDir(dataDir)).toBe(join(dataDir, 'models'));
    expect(await findModel(dataDir, 'base.en')).toBeNull();
    await mkdir(modelsDir(dataDir));
    await writeFile(join(modelsDir(dataDir), 'ggml-base.en.bin'), 'x');
    expect(await findModel(dataDir, 'base.en')).toBe(join(dataDir, 'models', 'ggml-base.en.bin'));
    expect(await findModel(dataDir, 'base')).toBeNull();
  });

  it('accepts a path to a .bin file anywhere as the model name', async () => {
    const file = join(dataDir, 'my-finetune.bin');
    expect(await findModel(dataDir, file)).toBeNull();
    await writeFile(file, 'x');
    expect(await findModel(dataDir, file)).toBe(file);
  });

  it('lists finished models only, not partial downloads or other files', async () => {
    expect(await listInstalled(dataDir)).toEqual([]); // no models directory yet
    await mkdir(modelsDir(dataDir));
    await writeFile(join(modelsDir(dataDir), 'ggml-tiny.bin'), 'abc');
    await writeFile(join(modelsDir(dataDir), 'ggml-base.bin.part'), 'ab');
    await writeFile(join(modelsDir(dataDir), 'notes.txt'), 'a');
    expect(await listInstalled(dataDir)).toEqual([{ name: 'tiny', path: join(modelsDir(dataDir), 'ggml-tiny.bin'), sizeBytes: 3 }]);
  });

  it('finds and lists Silero VAD by its catalogue name, and takes a path to any .onnx', async () => {
    await mkdir(modelsDir(dataDir));
    const p = join(modelsDir(dataDir), 'silero_vad.onnx');
    await writeFile(p, 'abc');
    expect(await findModel(dataDir, 'silero-vad')).toBe(p);
    expect(await listInstalled(dataDir)).toEqual([{ name: 'silero-vad', path: p, sizeBytes: 3 }]);
    const other = join(dataDir, 'my-vad.onnx');
    await writeFile(other, 'x');
    expect(await findModel(dataDir, other)).toBe(other);
  });

  it('removes a model and its partial download', async () => {
    await mkdir(modelsDir(dataDir));
    const p = join(modelsDir(dataDir), 'ggml-tiny.bin');
    await writeFile(p, 'abc');
    await writeFile(`${p}.part`, 'ab');
    expect(await removeModel(dataDir, 'tiny')).toBe(true);
    expect(existsSync(p) || existsSync(`${p}.part`)).toBe(false);
    expect(await removeModel(dataDir, 'tiny')).toBe(false);
    await expect(removeModel(dataDir, '/etc/passwd.bin')).rejects.toThrow(/is a path/);
  });
});
