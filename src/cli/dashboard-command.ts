import { parseArgs } from 'node:util';
import { MicflowError } from '../errors/micflow-error.js';
import { DASHBOARD_FLAG_HELP, dashboardPort } from '../dashboard/dashboard-options.js';
import { startDashboardServer } from '../dashboard/dashboard-server.js';
import { runCommand } from './report-cli-error.js';
import { untilStopSignal } from './until-stop-signal.js';

const usage = `usage: npm run dashboard -- RUN_DIR... [--port N] [--host ADDRESS --token SECRET]

A live web page of the runs: every loss term, learning rates, validation Dice per class, seconds per iteration and
data wait, live tensors and memory, progress and ETA, and validation overlays (image, ground truth, prediction).
Each RUN_DIR is a run directory, or a folder of runs (runs/, an experiment's output) whose runs are all shown side
by side, including ones that start later. Running runs update live as their metrics.jsonl grows.

${DASHBOARD_FLAG_HELP}`;

export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        token: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new MicflowError('invalid-argument', `${(error as Error).message}\n${usage}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (!positionals.length) throw new MicflowError('invalid-argument', `name a run directory or a folder of runs\n${usage}`);
  const server = await startDashboardServer({ paths: positionals, port: dashboardPort(values.port, '--port'), host: values.host, token: values.token });
  process.stdout.write(`micflow dashboard: ${server.url}  (Ctrl-C to stop)\n`);
  await untilStopSignal();
  await server.close();
  return 0;
}

runCommand(main);
