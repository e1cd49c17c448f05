import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExperimentJob } from '../../src/experiments/experiment-job.js';
import { readExperimentRecord } from '../../src/experiments/experiment-record.js';
import { eventually, freePort } from '../support/loopback.js';

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

/** Several processes share two cores here (and another test file runs beside this one): generous time limits. */
const SLOW = { timeout: 400_000 };

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
    it('should finish every job, the killed one continuing from its checkpoint, with the table of a local run', SLOW, async () => {
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
      }, 240);
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

  describe('when a job fails on its input, and its coordinator detached', () => {
    it('should fail that job once with its message, and attach should write the table naming it', SLOW, async () => {
      const directory = join(scratch, 'broken');
      const coordinator = start('src/cli/experiment-command.ts', ['test/fixtures/experiments/broken.ts', '--queue', queue, '--out', directory, '--detach']);
      expect(await coordinator.exit).toBe(0);
      const attached = start('src/cli/experiment-command.ts', ['attach', 'broken', '--queue', queue, '--poll-seconds', '0.2']);
      expect(await attached.exit).toBe(1);
      const table = readFileSync(join(directory, 'results.md'), 'utf8');
      expect(table).toMatch(/Failed jobs \(left out of the table\):\n- no-list-seed1: .*no-such-list\.csv/);
      // One attempt: the workers logged it failing once, and nobody started it again.
      const log = workers.map((w) => w.output).join('');
      expect([...log.matchAll(/broken--no-list-seed1: started/g)]).toHaveLength(1);
      expect(log).toMatch(/broken--no-list-seed1: failed \(attempt 1\)/);
    });
  });

  describe('when a completed job is delivered again', () => {
    it('should answer with its stored result and train nothing', async () => {
      const record = readExperimentRecord(join(scratch, 'local'));
      const job = record.jobs[0];
      const metrics = readFileSync(join(record.directory, job.id, 'metrics.jsonl'), 'utf8');
      const again = await runExperimentJob(record, job);
      expect(again).toEqual(JSON.parse(readFileSync(join(record.directory, job.id, 'result.json'), 'utf8')));
      expect(readFileSync(join(record.directory, job.id, 'metrics.jsonl'), 'utf8')).toBe(metrics);
    });
  });
  describe('when inference over a list of cases is queued', () => {
    it('should split the cases into jobs the workers run, writing the predictions a local run writes', SLOW, async () => {
      const model = join(scratch, 'local', 'supervised-seed1');
      const queued = join(scratch, 'predictions-queued');
      const here = join(scratch, 'predictions-here');
      const split = start('src/cli/infer-command.ts', [model, '--data', 'fixtures/brain-mr-2d/test.csv', '--out', queued, '--queue', queue, '--cases-per-job', '4']);
      expect(await split.exit).toBe(0);
      expect(split.output).toMatch(/9 cases in 3 jobs/);
      const local = start('src/cli/infer-command.ts', [model, '--data', 'fixtures/brain-mr-2d/test.csv', '--out', here]);
      expect(await local.exit).toBe(0);
      const files = readdirSync(here).sort();
      expect(files).toHaveLength(9);
      expect(readdirSync(queued).sort()).toEqual(files);
      for (const file of files) expect(readFileSync(join(queued, file)).equals(readFileSync(join(here, file))), file).toBe(true);
    });
  });
});