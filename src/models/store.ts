import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** Models live as `<dataDir>/models/ggml-<name>.bin`, the file names whisper.cpp itself uses. */
export function modelsDir(dataDir: string): string {
  return path.join(dataDir, 'models');
}

export function modelPath(dataDir: string, name: string): string {
  return path.join(modelsDir(dataDir), `ggml-${name}.bin`);
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** A name that looks like a path is taken as one, so `--whisper-model ./my-finetune.bin` works. */
function looksLikePath(name: string): boolean {
  return name.endsWith('.bin') || name.includes('/') || name.includes(path.sep);
}

/** The installed model's path, or null. `name` is a catalogue name or a path to a .bin file. */
export async function findModel(dataDir: string, name: string): Promise<string | null> {
  if (looksLikePath(name)) {
    const p = path.resolve(name);
    return (await isFile(p)) ? p : null;
  }
  const p = modelPath(dataDir, name);
  return (await isFile(p)) ? p : null;
}

export interface InstalledModel {
  name: string;
  path: string;
  sizeBytes: number;
}

/** Finished models only: a `.bin.part` is an interrupted download, not a model. */
export async function listInstalled(dataDir: string): Promise<InstalledModel[]> {
  let files: string[];
  try {
    files = await readdir(modelsDir(dataDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: InstalledModel[] = [];
  for (const f of files.sort()) {
    const m = /^ggml-(.+)\.bin$/.exec(f);
    if (!m) continue;
    const p = path.join(modelsDir(dataDir), f);
    const s = await stat(p);
    if (s.isFile()) out.push({ name: m[1]!, path: p, sizeBytes: s.size });
  }
  return out;
}

/** Deletes the model and any partial download of it; true if there was anything to delete. */
export async function removeModel(dataDir: string, name: string): Promise<boolean> {
  if (looksLikePath(name)) throw new Error(`"${name}" is a path, not a model name; only models under ${modelsDir(dataDir)} are removed`);
  const p = modelPath(dataDir, name);
  const existed = (await isFile(p)) || (await isFile(`${p}.part`));
  await rm(p, { force: true });
  await rm(`${p}.part`, { force: true });
  return existed;
}
