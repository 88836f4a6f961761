import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { catalogue, catalogueEntry } from './catalogue.js';

/**
 * Models live in `<dataDir>/models` under their upstream file names: `ggml-<name>.bin` as whisper.cpp
 * names them, the GGUF file names of the LLMs' Hugging Face repositories, and `silero_vad.onnx`.
 */
export function modelsDir(dataDir: string): string {
  return path.join(dataDir, 'models');
}

/** Where a model is installed: its file, or for a release archive the directory it unpacks to. */
export function modelPath(dataDir: string, name: string): string {
  const entry = catalogueEntry(name);
  return path.join(modelsDir(dataDir), entry?.unpacksTo ?? entry?.fileName ?? `ggml-${name}.bin`);
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Bytes of the files under a directory. */
async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? await dirSize(p) : (await stat(p)).size;
  }
  return total;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** A name that looks like a path is taken as one, so `--whisper-model ./my-finetune.bin`, `--llm-model ./my.gguf` and `--vad-model ./vad.onnx` work. */
function looksLikePath(name: string): boolean {
  return /\.(bin|gguf|onnx)$/.test(name) || name.includes('/') || name.includes(path.sep);
}

/** The installed model's path, or null. `name` is a catalogue name, the name of a copied-in `<name>.gguf`, or a path to a .bin, .gguf or .onnx file. */
export async function findModel(dataDir: string, name: string): Promise<string | null> {
  if (looksLikePath(name)) {
    const p = path.resolve(name);
    return (await isFile(p)) || (await isDir(p)) ? p : null;
  }
  if (catalogueEntry(name)?.unpacksTo) {
    const dir = modelPath(dataDir, name);
    return (await isDir(dir)) ? dir : null;
  }
  for (const p of [modelPath(dataDir, name), path.join(modelsDir(dataDir), `${name}.gguf`)]) if (await isFile(p)) return p;
  return null;
}

export interface InstalledModel {
  name: string;
  path: string;
  sizeBytes: number;
}

/** The name of an installed file: a catalogue model's file, any other `ggml-<name>.bin`, or any other `.gguf` by its stem. */
function nameOfFile(file: string): string | null {
  const known = catalogue().find((e) => (e.unpacksTo ?? e.fileName) === file);
  if (known) return known.name;
  const whisper = /^ggml-(.+)\.bin$/.exec(file);
  if (whisper) return whisper[1]!;
  return file.endsWith('.gguf') ? file.slice(0, -'.gguf'.length) : null;
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
    const name = nameOfFile(f);
    if (!name) continue;
    const p = path.join(modelsDir(dataDir), f);
    const s = await stat(p);
    if (s.isFile()) out.push({ name, path: p, sizeBytes: s.size });
    else if (s.isDirectory() && catalogueEntry(name)?.unpacksTo === f) out.push({ name, path: p, sizeBytes: await dirSize(p) });
  }
  return out;
}

/** Deletes the model and any partial download of it; true if there was anything to delete. */
export async function removeModel(dataDir: string, name: string): Promise<boolean> {
  if (looksLikePath(name)) throw new Error(`"${name}" is a path, not a model name; only models under ${modelsDir(dataDir)} are removed`);
  const p = modelPath(dataDir, name);
  // A release archive's download (and its .part) sits beside the directory it unpacks to.
  const archive = catalogueEntry(name)?.unpacksTo ? path.join(modelsDir(dataDir), catalogueEntry(name)!.fileName) : p;
  const existed = (await isFile(p)) || (await isDir(p)) || (await isFile(`${archive}.part`));
  await rm(p, { force: true, recursive: true });
  await rm(archive, { force: true });
  await rm(`${archive}.part`, { force: true });
  return existed;
}
