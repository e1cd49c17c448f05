import { parseArgs } from 'node:util';
import { MicflowError } from '../errors/micflow-error.js';
import { startExperimentWorker } from '../experiments/experiment-queue.js';
import { runCommand } from './report-cli-error.js';
import { untilStopSignal } from './until-stop-signal.js';

const usage = `usage: npm run worker -- --queue redis://HOST:PORT [--concurrency N] [--lock-seconds S] [--stalled-check-seconds S]

Runs experiment jobs from the queue (npm run experiment -- <spec> --queue …), one at a time by default, each as an
ordinary pipeline run in its own process, writing its run directory into the experiment's folder (which every worker
must see at the same path: a shared file system). A job whose worker dies is handed to another worker after the lock
expires (--lock-seconds, default 30) at its next stalled-job check (--stalled-check-seconds, default 30), and
continues from its latest saved state. Ctrl-C (SIGINT) or SIGTERM: the running job saves its state and goes back to
the queue, and the worker exits.`;

export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        queue: { type: 'string' },
        concurrency: { type: 'string' },
        'lock-seconds': { type: 'string' },
        'stalled-check-seconds': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new MicflowError('invalid-argument', `${(error as Error).message}\n${usage}`);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (!values.queue) throw new MicflowError('invalid-argument', `--queue redis://HOST:PORT is needed\n${usage}`);
  const seconds = (text: string | undefined, flag: string) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!(value > 0)) throw new MicflowError('invalid-argument', `${flag} ${text}: expected a positive number`);
    return value * 1000;
  };
  const concurrency = values.concurrency === undefined ? 1 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new MicflowError('invalid-argument', `--concurrency ${values.concurrency}: expected a positive integer`);
  const worker = startExperimentWorker(values.queue, {
    concurrency,
    lockMilliseconds: seconds(values['lock-seconds'], '--lock-seconds'),
    stalledCheckMilliseconds: seconds(values['stalled-check-seconds'], '--stalled-check-seconds'),
    log: (line) => process.stderr.write(`micflow worker ${process.pid}: ${line}\n`),
  });
  await worker.waitUntilReady();
  process.stderr.write(`micflow worker ${process.pid}: waiting for jobs on ${values.queue}\n`);
  await untilStopSignal();
  process.stderr.write(`micflow worker ${process.pid}: stopping (the running job saves its state and goes back to the queue)\n`);
  await worker.close();
  return 0;
}

runCommand(main);
