import { readFile } from 'node:fs/promises';
import v8 from 'node:v8';

/**
 * PGlite 0.3 starts PostgreSQL with `-c shared_buffers=128MB` compiled into its WebAssembly (the
 * `WASM_PGOPTS` of its pglite-wasm sources); no option, `postgresql.conf` or `ALTER SYSTEM` overrides a
 * command-line setting. Emscripten zero-fills the shared memory, so all 128 MB is resident from the
 * first second. The argument is a plain string in the module's data segment: replaced by one of the
 * same length before compiling, the buffer pool is 16 MB, which holds Earshot's working set (a
 * transcript row and the job queue's tables) many times over.
 */
const SHIPPED = 'shared_buffers=128MB';
/** Trailing blanks are allowed after a unit (PostgreSQL's `parse_int`), which keeps the length. */
export const EMBEDDED_SHARED_BUFFERS = 'shared_buffers=16MB'.padEnd(SHIPPED.length, ' ');

export interface PgliteModule {
  module: WebAssembly.Module;
  /** Whether the shipped buffer setting was found and replaced (false: PGlite's own 128 MB). */
  patched: boolean;
}

let compiled: Promise<PgliteModule> | undefined;

/** PGlite's WebAssembly, compiled once per process, with the smaller buffer pool when the setting is where it was. */
export function pgliteModule(): Promise<PgliteModule> {
  compiled ??= compile();
  return compiled;
}

async function compile(): Promise<PgliteModule> {
  const bytes = await readFile(new URL('pglite.wasm', import.meta.resolve('@electric-sql/pglite')));
  const needle = Buffer.from(SHIPPED);
  const at = bytes.indexOf(needle);
  // Exactly one occurrence, or another PGlite build: then it runs as shipped rather than patched blindly.
  const patched = at >= 0 && bytes.indexOf(needle, at + 1) < 0;
  if (patched) bytes.write(EMBEDDED_SHARED_BUFFERS, at, 'latin1');
  // V8's optimising tier holds another ~90 MB of machine code for this 9 MB module; the baseline compiler's
  // code is enough for the database's small queries (point lookups ran as fast in a trial, scans ~1.4× slower).
  // PGlite is the only WebAssembly Earshot runs.
  v8.setFlagsFromString('--liftoff-only');
  return { module: await WebAssembly.compile(bytes), patched };
}
