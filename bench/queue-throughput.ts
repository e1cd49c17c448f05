/**
 * Experiment jobs per hour on the queue, with 1 and with 2 workers on this machine (a benchmark, not a test): starts
 * its own redis-server on a loopback port, then for each worker count starts the workers, queues one experiment
 * (default test/fixtures/experiments/tiny.ts: 6 jobs of 80 iterations of the bundled 2D U-Net) and times it from
 * queuing to the last result. The cores are shared fairly: OMP_NUM_THREADS = cores / workers for every worker.
 * Waits for the load average to fall below 1 before each measurement, prints it before and after (after includes the
 * workers' own load), and flags a measurement that started at load > 1.
 *
 *   npm run bench:queue [-- --spec FILE --workers 1,2 --iterations N]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../test/support/loopback.js';

const { values } = parseArgs({
  options: {
    spec: { type: 'string', default: 'test/fixtures/experiments/tiny.ts' },
    workers: { type: 'string', default: '1,2' },
    iterations: { type: 'string' },
  },
});

function started(command: string, args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', command, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  return { child, output: () => output, exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

async function until(check: () => boolean | Promise<boolean>, what: string, seconds = 120): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not within ${seconds} s: ${what}`);
}

const load = () => loadavg()[0].toFixed(2);

async function main(): Promise<void> {
  if (!existsSync('/usr/bin/redis-server')) throw new Error('needs redis-server (apt-get install redis-server)');
  const port = await freePort();
  const redis = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const queue = `redis://127.0.0.1:${port}`;
  await until(() => new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.end(), resolve(true)));
    socket.once('error', () => resolve(false));
  }), 'redis listens', 20);
  const scratch = mkdtempSync(join(tmpdir(), 'micflow-bench-queue-'));
  const cores = availableParallelism();
  const rows: string[] = [];
  try {
    for (const count of values.workers.split(',').map(Number)) {
      const threads = Math.max(1, Math.floor(cores / count));
      const env = { ...process.env, OMP_NUM_THREADS: String(threads) };
      // The previous measurement's own load fades first (at most 2 min), so `before` tells of other work only.
      await until(() => loadavg()[0] < 1, 'the load average falls below 1', 120).catch(() => {});
      const before = load();
      const workers = Array.from({ length: count }, () => started('src/cli/worker-command.ts', ['--queue', queue], env));
      await until(() => workers.every((w) => /waiting for jobs/.test(w.output())), 'the workers start', 60);
      const begin = performance.now();
      const coordinator = started(
        'src/cli/experiment-command.ts',
        [values.spec, '--queue', queue, '--out', join(scratch, `workers-${count}`), '--poll-seconds', '0.2', ...(values.iterations ? ['--iterations', values.iterations] : [])],
        env,
      );
      const code = await coordinator.exit;
      const seconds = (performance.now() - begin) / 1000;
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exit));
      if (code !== 0) throw new Error(`the experiment with ${count} worker(s) failed:\n${coordinator.output()}`);
      // The coordinator's last job table ends "N/N completed, …".
      const jobCount = Number([...coordinator.output().matchAll(/(\d+)\/(\d+) completed,/g)].at(-1)?.[2] ?? Number.NaN);
      const after = load();
      const flag = Number(before) > 1 ? '  (load > 1 before: not a quiet measurement)' : '';
      rows.push(`${count} worker${count > 1 ? 's' : ''} × ${threads} thread${threads > 1 ? 's' : ''}: ${jobCount} jobs in ${seconds.toFixed(1)} s = ${((3600 * jobCount) / seconds).toFixed(0)} jobs/hour  (load ${before} → ${after})${flag}`);
      process.stdout.write(`${rows.at(-1)}\n`);
    }
    if (rows.length === 2) {
      const [one, two] = rows.map((r) => Number(/= (\d+) jobs\/hour/.exec(r)![1]));
      process.stdout.write(`ratio 2 workers / 1 worker: ${(two / one).toFixed(2)}\n`);
    }
  } finally {
    redis.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
});
