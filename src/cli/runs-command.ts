import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MicflowError } from '../errors/micflow-error.js';
import { formatRunListing, listRuns } from '../run/list-runs.js';
import { runCommand } from './report-cli-error.js';

const usage = `usage: npm run runs [-- DIR]

Lists the run directories under DIR (default runs/), newest first: status (running, finished, interrupted, failed,
or stopped when a run recorded as running has lost its process, e.g. to kill -9), iteration reached, best validation
score, last update and why it stopped; then the resume command of every run that saved its state and did not finish.`;

export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { help: { type: 'boolean', short: 'h', default: false } } });
  } catch (error) {
    throw new MicflowError('invalid-argument', `${(error as Error).message}\n${usage}`);
  }
  if (parsed.values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (parsed.positionals.length > 1) throw new MicflowError('invalid-argument', `name one folder of runs (got ${parsed.positionals.length})\n${usage}`);
  const root = resolve(parsed.positionals[0] ?? 'runs');
  process.stdout.write(formatRunListing(listRuns(root), root));
  return 0;
}

runCommand(main);
