import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Experiments on BullMQ over a real Redis (Debian's redis-server, started here on a loopback port): three worker
 * processes, six short jobs, one worker killed with SIGKILL mid-job. CI installs redis-server and sets
 * MICFLOW_REQUIRE_REDIS=1, so there the test cannot skip.
 */
const REDIS = '/usr/bin/redis-server';
const redisAvailable = existsSync(REDIS);
if (!redisAvailable && process.env.MICFLOW_REQUIRE_REDIS === '1') throw new Error(`MICFLOW_REQUIRE_REDIS=1 but ${REDIS} is missing (apt-get install redis-server)`);

const projectRoot = join(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'micflow-queue-'));
const SPEC = 'test/fixtures/experiments/tiny.ts';
/** One thread per process: results are bit-identical across runs only for the same thread count. */
const env = { ...process.env, OMP_NUM_THREADS: '1', MICFLOW_DEBUG: '' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, seconds = 120): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not within ${seconds} s: ${what}`);
}

interface Started {
  readonly child: ChildProcess;
  output: string;
  readonly exit: Promise<number | null>;
}

function start(script: string, args: string[]): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const started: Started = { child, output: '', exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout!.on('data', (chunk) => (started.output += chunk));
  child.stderr!.on('data', (chunk) => (started.output += chunk));
  return started;
}

/** A results table without its backend column (the only thing a worker's own choice could change). */
const tableRows = (markdown: string) => markdown.split('\n').filter((line) => line.startsWith('| '));

describe.skipIf(!redisAvailable)('experiments on the queue', () => {
  let redis: ChildProcess;
  let queue: string;
  const workers: Started[] = [];

  beforeAll(async () => {
    const port = await freePort();
    redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    queue = `redis://127.0.0.1:${port}`;
    await eventually('redis listens', () => new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.end(), resolve(true)));
      socket.once('error', () => resolve(false));
    }), 20);
  });

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    redis?.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('having three workers and six jobs, and one worker killed with SIGKILL mid-job', () => {
    it('should finish every job, the killed one continuing from its checkpoint, with the table of a local run', async () => {
      for (let i = 0; i < 3; i++) workers.push(start('src/cli/worker-command.ts', ['--queue', queue, '--lock-seconds', '3', '--stalled-check-seconds', '1']));
      await eventually('the workers wait for jobs', () => workers.every((w) => /waiting for jobs/.test(w.output)), 60);
      const distributed = join(scratch, 'distributed');
      const coordinator = start('src/cli/experiment-command.ts', [SPEC, '--queue', queue, '--out', distributed, '--poll-seconds', '0.2']);
      // A worker that has started a job and saved its state at least once: kill it without warning.
      let victim: Started | undefined;
      let victimJob = '';
      await eventually('a job passes its first checkpoint', () => {
        for (const worker of workers) {
          const started = [...worker.output.matchAll(/(\S+)--(\S+): started/g)].at(-1);
          if (!started || worker.output.includes(`${started[1]}--${started[2]}: completed`)) continue;
          const metrics = join(distributed, started[2], 'metrics.jsonl');
          if (existsSync(metrics) && readFileSync(metrics, 'utf8').includes('"tag":"latest"')) {
            victim = worker;
            victimJob = started[2];
            return true;
          }
        }
        return false;
      });
      victim!.child.kill('SIGKILL');
      expect(await coordinator.exit).toBe(0);
      const jobs = JSON.parse(readFileSync(join(distributed, 'results.json'), 'utf8')).results as { job: string; resumedAfter?: number }[];
      expect(jobs.map((j) => j.job).sort()).toEqual(['supervised-lr3-seed1', 'supervised-lr3-seed2', 'supervised-lr3-seed3', 'supervised-seed1', 'supervised-seed2', 'supervised-seed3']);
      // The killed job continued from the checkpoint its first worker saved: its metrics say so, and so does its row.
      const killed = jobs.find((j) => j.job === victimJob)!;
      expect(killed.resumedAfter).toBeGreaterThanOrEqual(10);
      expect(readFileSync(join(distributed, victimJob, 'metrics.jsonl'), 'utf8')).toContain('"type":"run-resumed"');
      expect(jobs.filter((j) => j.resumedAfter !== undefined).map((j) => j.job)).toContain(victimJob);

      // The same experiment run here, one job after the other, gives the same table.
      const local = join(scratch, 'local');
      const sequential = start('src/cli/experiment-command.ts', [SPEC, '--out', local]);
      expect(await sequential.exit).toBe(0);
      const distributedTable = readFileSync(join(distributed, 'results.md'), 'utf8');
      expect(tableRows(distributedTable)).toHaveLength(3); // the header and a row per method
      expect(tableRows(distributedTable)).toEqual(tableRows(readFileSync(join(local, 'results.md'), 'utf8')));
      expect(existsSync(join(distributed, 'results.svg'))).toBe(true);

      // Status from the queue, by id, after the coordinator is gone.
      const status = start('src/cli/experiment-command.ts', ['status', 'distributed', '--queue', queue]);
      expect(await status.exit).toBe(0);
      expect(status.output).toMatch(/6\/6 completed, 0 running, 0 waiting, 0 failed/);
    });
  });
});
