import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { downloadError, registerModels } from '../../src/cli/models.js';
import { catalogue, catalogueEntry } from '../../src/models/catalogue.js';
import { resolveSherpaModel } from '../../src/engines/sherpa-models.js';
import { unpackArchive } from '../../src/models/download.js';
import { findModel, listInstalled, modelsDir } from '../../src/models/store.js';
import { TINY_MODEL } from '../helpers/llm.js';

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

  it.each([
    ['tiny', 'ggml-tiny.bin', 77_691_713],
    ['qwen2.5-0.5b-instruct', 'qwen2.5-0.5b-instruct-q4_k_m.gguf', 491_400_032],
    ['silero-vad', 'silero_vad.onnx', 2_327_524],
    ['pyannote-segmentation-3.0', 'sherpa-onnx-pyannote-segmentation-3-0.onnx', 5_992_913],
    ['wespeaker-voxceleb-resnet34-lm', 'wespeaker_en_voxceleb_resnet34_LM.onnx', 26_530_550],
  ])('pull fetches %s from EARSHOT_MODEL_BASE_URL and installs nothing that does not match the catalogue', async (name, file, size) => {
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url!);
      res.end('not really a model');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.EARSHOT_MODEL_BASE_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m`;
    try {
      expect(catalogueEntry(name)!.url).toBe(`${process.env.EARSHOT_MODEL_BASE_URL}/${file}`);
      await expect(models('pull', name, '--quiet')).rejects.toThrow(new RegExp(`catalogue says ${size}`));
    } finally {
      server.close();
    }
    expect(paths).toEqual([`/m/${file}`]);
    expect(await listInstalled(dataDir)).toEqual([]);
  });

  /** A stand-in archive with Moonshine's file names (empty files): what the release archive holds, by name. */
  async function moonshineStandIn(): Promise<{ archive: Buffer; dir: string; remove: () => Promise<void> }> {
    const src = await mkdtemp(join(tmpdir(), 'earshot-archive-'));
    const dir = 'sherpa-onnx-moonshine-tiny-en-int8';
    await mkdir(join(src, dir));
    for (const f of ['preprocess.onnx', 'encode.int8.onnx', 'uncached_decode.int8.onnx', 'cached_decode.int8.onnx', 'tokens.txt'])
      await writeFile(join(src, dir, f), '');
    execFileSync('tar', ['-cjf', join(src, `${dir}.tar.bz2`), '-C', src, dir]);
    return { archive: await readFile(join(src, `${dir}.tar.bz2`)), dir, remove: () => rm(src, { recursive: true, force: true }) };
  }

  it('pull refuses a sherpa-onnx archive that is not the published file, and installs nothing', async () => {
    const { archive, dir, remove } = await moonshineStandIn();
    const server = createServer((req, res) => (req.url === `/m/${dir}.tar.bz2` ? res.end(archive) : ((res.statusCode = 404), res.end())));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.EARSHOT_MODEL_BASE_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m`;
    try {
      await expect(models('pull', 'moonshine-tiny-en-int8', '--quiet')).rejects.toThrow(/catalogue says 107600538/);
    } finally {
      server.close();
      await remove();
    }
    expect(await findModel(dataDir, 'moonshine-tiny-en-int8')).toBeNull();
    expect((await readdir(modelsDir(dataDir)).catch(() => [])).filter((f) => !f.endsWith('.part'))).toEqual([]);
  });

  it('a release archive unpacks into the directory the engine loads, and rm removes it', async () => {
    const { archive, dir, remove } = await moonshineStandIn();
    await mkdir(modelsDir(dataDir), { recursive: true });
    const file = join(modelsDir(dataDir), `${dir}.tar.bz2`);
    await writeFile(file, archive);
    await remove();
    await unpackArchive(file, modelsDir(dataDir), dir);
    const installed = join(modelsDir(dataDir), dir);
    expect(await findModel(dataDir, 'moonshine-tiny-en-int8')).toBe(installed);
    expect((await readdir(modelsDir(dataDir))).sort()).toEqual([dir]); // the archive is gone, no scratch left
    const model = await resolveSherpaModel(dataDir, 'moonshine-tiny-en-int8', false);
    expect(model).toMatchObject({
      family: 'offline-moonshine',
      name: 'sherpa-moonshine-tiny-en-int8',
      files: { encoder: join(installed, 'encode.int8.onnx') },
    });
    await expect(resolveSherpaModel(dataDir, 'moonshine-tiny-en-int8', true)).rejects.toThrow(/not a sherpa-onnx streaming model/);
    await models('list');
    expect(out).toMatch(/^\* moonshine-tiny-en-int8 .*sherpa-onnx \(English\)$/m);
    await models('rm', 'moonshine-tiny-en-int8');
    expect(await findModel(dataDir, 'moonshine-tiny-en-int8')).toBeNull();
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

describe('instruct LLMs in the model catalogue', () => {
  it('come from their Hugging Face repositories, with sizes, SHA-256 sums and licences', () => {
    const llms = catalogue().filter((e) => e.kind === 'llm');
    expect(llms.map((e) => e.name)).toEqual([
      'qwen2.5-0.5b-instruct',
      'qwen2.5-1.5b-instruct',
      'qwen2.5-3b-instruct',
      'llama-3.2-1b-instruct',
      'llama-3.2-3b-instruct',
    ]);
    expect(catalogueEntry('qwen2.5-1.5b-instruct')).toEqual({
      name: 'qwen2.5-1.5b-instruct',
      kind: 'llm',
      fileName: 'qwen2.5-1.5b-instruct-q4_k_m.gguf',
      url: 'https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/qwen2.5-1.5b-instruct-q4_k_m.gguf',
      sizeBytes: 1_117_320_736,
      sha256: '6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e',
      licence: 'Apache-2.0',
      languages: 'multilingual',
    });
    for (const e of llms) {
      expect(e.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(e.fileName).toMatch(/\.gguf$/);
    }
  });

  it('are listed with their licences, and copied-in .gguf files as well', async () => {
    await mkdir(modelsDir(dataDir));
    await writeFile(join(modelsDir(dataDir), catalogueEntry('llama-3.2-1b-instruct')!.fileName), 'x');
    await writeFile(join(modelsDir(dataDir), 'my-model.gguf'), 'x');
    await models('list');
    expect(out).toMatch(/^ {2}qwen2\.5-1\.5b-instruct +1\.1 GB {2}LLM for LeMUR \(Apache-2\.0\)$/m);
    expect(out).toMatch(/^\* llama-3\.2-1b-instruct +808 MB {2}LLM for LeMUR \(Llama 3\.2 Community License\)$/m);
    expect(out).toMatch(/^\* my-model .*not in catalogue/m);
    expect((await listInstalled(dataDir)).map((m) => m.name)).toEqual(['llama-3.2-1b-instruct', 'my-model']);
  });

  it('are found by catalogue name and removed', async () => {
    await mkdir(modelsDir(dataDir));
    const file = join(modelsDir(dataDir), catalogueEntry('qwen2.5-0.5b-instruct')!.fileName);
    await copyFile(TINY_MODEL, file);
    expect(await findModel(dataDir, 'qwen2.5-0.5b-instruct')).toBe(file);
    await models('pull', 'qwen2.5-0.5b-instruct');
    expect(err).toMatch(/already installed/);
    await models('rm', 'qwen2.5-0.5b-instruct');
    expect(out).toBe('Removed qwen2.5-0.5b-instruct.\n');
    expect(await findModel(dataDir, 'qwen2.5-0.5b-instruct')).toBeNull();
  });
});

describe('earshot models pull offline', () => {
  it('says which host could not be reached and to check the mirror', async () => {
    process.env.EARSHOT_MODEL_BASE_URL = 'http://127.0.0.1:9/m'; // nothing listens on the discard port
    await expect(models('pull', 'silero-vad', '--quiet')).rejects.toThrow(
      'cannot download http://127.0.0.1:9/m/silero_vad.onnx: 127.0.0.1:9 cannot be reached (ECONNREFUSED). Check that the mirror EARSHOT_MODEL_BASE_URL=http://127.0.0.1:9/m is up and serves silero_vad.onnx.',
    );
    expect(await listInstalled(dataDir)).toEqual([]);
  });

  it('without a mirror, says how to use one', () => {
    const offline = Object.assign(new Error('getaddrinfo ENOTFOUND huggingface.co'), { code: 'ENOTFOUND' });
    const url = catalogueEntry('tiny')!.url;
    expect(downloadError(offline, url, 'ggml-tiny.bin', null).message).toBe(
      `cannot download ${url}: huggingface.co cannot be reached (ENOTFOUND). Offline or behind a firewall? Put ggml-tiny.bin on a machine this one reaches ` +
        'and set EARSHOT_MODEL_BASE_URL to its directory (e.g. EARSHOT_MODEL_BASE_URL=http://mirror.lan/models fetches http://mirror.lan/models/ggml-tiny.bin).',
    );
    const other = new Error('Download of x failed: HTTP 404');
    expect(downloadError(other, url, 'ggml-tiny.bin', null)).toBe(other);
  });
});
