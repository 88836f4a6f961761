import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/link-bin.sh', import.meta.url));
const BIN = realpathSync(fileURLToPath(new URL('../../bin/earshot.js', import.meta.url)));
const run = promisify(execFile);

let dir: string;
const link = () => path.join(dir, 'earshot');
const linkBin = async (binDir = dir) => {
  const { stdout, stderr } = await run(SCRIPT, [], {
    env: { ...process.env, EARSHOT_BIN_DIR: binDir, PATH: `${binDir}:${process.env.PATH}` },
  });
  return { stdout, stderr };
};

beforeEach(() => {
  dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'earshot-bin-')));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('scripts/link-bin.sh (earshot on the PATH after set-up)', () => {
  it('links earshot to this checkout, which then runs, and does nothing the second time', async () => {
    expect(await linkBin()).toEqual({ stdout: `Linked ${link()} -> ${BIN}\n`, stderr: '' });
    expect(readlinkSync(link())).toBe(BIN);
    const { stdout } = await run(link(), ['--version']);
    expect(stdout.trim()).toBe(
      (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version,
    );
    expect(await linkBin()).toEqual({ stdout: '', stderr: '' });
  });

  it('leaves a file that is not a symlink alone', async () => {
    writeFileSync(link(), '#!/bin/sh\necho mine\n');
    const out = await linkBin();
    expect(out.stderr).toBe(`Not linking earshot: ${link()} exists and is not a symlink (left as it is).\n`);
    expect(lstatSync(link()).isSymbolicLink()).toBe(false);
    expect(readFileSync(link(), 'utf8')).toContain('echo mine');
  });

  it('leaves a link to another checkout that exists, and replaces a dangling one', async () => {
    const other = path.join(dir, 'other.js');
    writeFileSync(other, '');
    symlinkSync(other, link());
    expect((await linkBin()).stderr).toBe(`\`earshot\` on the PATH is ${other}, not this checkout; to switch: ln -sfn ${BIN} ${link()}\n`);
    expect(readlinkSync(link())).toBe(other);
    rmSync(other);
    expect((await linkBin()).stdout).toBe(`Linked ${link()} -> ${BIN}\n`);
    expect(readlinkSync(link())).toBe(BIN);
  });

  it('prints how when the directory cannot be written', async () => {
    const missing = path.join(dir, 'no-such-dir');
    const out = await linkBin(missing);
    expect(out.stderr).toBe(`To run \`earshot\` from anywhere: sudo ln -s ${BIN} ${missing}/earshot   (or: npm link)\n`);
    expect(existsSync(missing)).toBe(false);
  });
});
