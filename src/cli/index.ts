import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerServe } from './serve.js';
import { registerTranscribe } from './transcribe.js';
import { registerKeys } from './keys.js';
import { registerModels } from './models.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('earshot')
  .description('Self-hosted speech-to-text server that speaks the AssemblyAI API')
  .version(pkg.version);

registerServe(program);
registerTranscribe(program);
registerKeys(program);
registerModels(program);

await program.parseAsync(process.argv);
