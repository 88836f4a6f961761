import { Command } from 'commander';
import { version } from '../instance.js';
import { registerServe } from './serve.js';
import { registerTranscribe } from './transcribe.js';
import { registerKeys } from './keys.js';
import { registerModels } from './models.js';
import { registerStream } from './stream.js';
import { registerDoctor } from './doctor.js';
import { registerAsk } from './ask.js';
import { registerStatus } from './status.js';

const program = new Command()
  .name('earshot')
  .description('Self-hosted speech-to-text server that speaks the AssemblyAI API')
  .version(version)
  // A flag belongs to the command it follows: `status alerts --server URL` is the subcommand's, not `status`'s.
  .enablePositionalOptions();

registerServe(program);
registerTranscribe(program);
registerKeys(program);
registerModels(program);
registerStream(program);
registerDoctor(program);
registerAsk(program);
registerStatus(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // A CLI user wants the reason, not a stack trace; EARSHOT_LOG_LEVEL=debug shows the stack.
  const e = err as NodeJS.ErrnoException;
  const message = e.code === 'ENOENT' && e.path ? `no such file: ${e.path}` : e.message;
  process.stderr.write(`earshot: ${message}\n`);
  if (process.env.EARSHOT_LOG_LEVEL === 'debug') process.stderr.write(`${e.stack}\n`);
  process.exitCode = 1;
  // A half-started server (database or queue open) would otherwise keep the process alive.
  setTimeout(() => process.exit(1), 200);
}
