/**
 * `npm run bench` — how fast micflow trains and infers PyMIC's UNet2D on each available backend (not a test).
 *
 *   npm run bench -- [--backends native,wasm,cpu] [--steps 10] [--warmup 2] [--batch 4] [--size 256]
 *                    [--vs-torch] [--json bench-results.json]
 *
 * Row: UNet2D (feature channels 16-32-64-128-256, 1,813,218 parameters), batch 4 of 1x256x256, 2 classes, soft Dice +
 * cross-entropy, Adam (lr 1e-3), training-mode forward with dropout. Reports per backend the median training step
 * (forward, gradients, Adam update, loss read back), median inference of one image (eval mode, argmax read back),
 * the process's peak RSS, and live tensors after the warm-up and after the last step (equal when nothing leaks; the
 * first step creates Adam's moment variables, so at least one warm-up step runs). Each
 * backend runs in its own child process, so a backend that aborts (wasm runs out of its 4 GB heap at batch 4) or
 * leaks cannot disturb the others, and peak RSS is per backend.
 *
 * --vs-torch also runs bench/torch_unet2d.py (the same architecture, loss and optimiser in PyTorch; Debian's
 * python3-torch via /usr/bin/python3, or $MICFLOW_TORCH_PYTHON) with the same thread count and prints the ratio
 * micflow / PyTorch per row. Defaults to the backends that finish a step in reasonable time: native, wasm (cpu takes
 * over ten minutes per step; ask for it with --backends cpu).
 */
import type * as tfTypes from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Options {
  backends: string[];
  steps: number;
  warmup: number;
  batch: number;
  size: number;
  vsTorch: boolean;
  json?: string;
  child?: string;
}

interface Row {
  row: string;
  backend: string;
  ok: boolean;
  error?: string;
  selection?: string;
  trainStepMs?: number;
  trainStepMsAll?: number[];
  inferenceMs?: number;
  peakRssMb?: number;
  liveTensorsBefore?: number;
  liveTensorsAfter?: number;
  torchTrainStepMs?: number;
  torchInferenceMs?: number;
  trainRatio?: number;
  inferenceRatio?: number;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const number = (name: string, fallback: number) => {
    const v = value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${v}`);
    return n;
  };
  return {
    backends: (value('backends') ?? 'native,wasm').split(',').filter(Boolean),
    steps: number('steps', 10),
    warmup: number('warmup', 2),
    batch: number('batch', 4),
    size: number('size', 256),
    vsTorch: argv.includes('--vs-torch'),
    json: value('json'),
    child: value('child'),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rowName = (o: Options) => `UNet2D 16-256, batch ${o.batch} of 1x${o.size}x${o.size}`;

/** Runs in the child: one backend, prints one JSON line. */
async function measureBackend(o: Options, backend: string): Promise<Row> {
  const tf = await import('@tensorflow/tfjs-core');
  const { TensorRuntime } = await import('../src/runtime/tensor-runtime.js');
  const { UNet2D } = await import('../src/networks/unet2d.js');
  const { diceLoss } = await import('../src/losses/dice-loss.js');
  const { crossEntropyLoss } = await import('../src/losses/cross-entropy-loss.js');
  const { SeededRandom } = await import('../src/runtime/seeded-random.js');
  const runtime = await TensorRuntime.create({ backend });
  const classes = 2;
  const random = new SeededRandom(1);
  const net = new UNet2D({ inChannels: 1, classes, random: random.derive('init') });
  const optimizer = tf.train.adam(1e-3);
  const pixels = o.batch * o.size * o.size;
  const x = tf.tensor4d(random.normalArray(pixels), [o.batch, o.size, o.size, 1]);
  const labels = Int32Array.from({ length: pixels }, () => random.integer(classes));
  const target = tf.tidy(() => tf.reshape(tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat(), [o.batch, o.size, o.size, classes]));
  const image = tf.slice(x, [0, 0, 0, 0], [1, o.size, o.size, 1]);
  // Counted after the first step, which creates Adam's moment variables.
  let liveTensorsBefore = tf.memory().numTensors;
  const train: number[] = [];
  for (let step = 0; step < Math.max(1, o.warmup) + o.steps; step++) {
    if (step === Math.max(1, o.warmup)) liveTensorsBefore = tf.memory().numTensors;
    const start = performance.now();
    const loss = optimizer.minimize(
      () =>
        tf.tidy(() => {
          const logits = net.apply(x, { training: true, random: random.derive('step', step) });
          return tf.add(crossEntropyLoss(logits, target), diceLoss(tf.softmax(logits), target)) as tfTypes.Scalar;
        }),
      true,
      net.trainableVariables,
    );
    loss?.dataSync();
    loss?.dispose();
    if (step >= Math.max(1, o.warmup)) train.push(performance.now() - start);
  }
  const liveTensorsAfter = tf.memory().numTensors;
  const infer: number[] = [];
  for (let step = 0; step < o.warmup + o.steps; step++) {
    const start = performance.now();
    const labelsOut = tf.tidy(() => tf.argMax(net.apply(image, { training: false }), 3));
    labelsOut.dataSync();
    labelsOut.dispose();
    if (step >= o.warmup) infer.push(performance.now() - start);
  }
  return {
    row: rowName(o),
    backend,
    ok: true,
    selection: runtime.selection.reason,
    trainStepMs: median(train),
    trainStepMsAll: train.map((t) => Math.round(t)),
    inferenceMs: median(infer),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    liveTensorsBefore,
    liveTensorsAfter,
  };
}

/**
 * Both sides run with the same OpenMP wait policy: micflow's addon defaults to passive (see native-addon.ts), and
 * PyTorch's OpenMP would otherwise spin, which is slower on a shared machine and would skew the ratio.
 */
function benchEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'passive' };
}

function runChild(o: Options, backend: string): Row {
  const self = fileURLToPath(import.meta.url);
  const args = ['--import', 'tsx', self, '--child', backend, '--steps', String(o.steps), '--warmup', String(o.warmup), '--batch', String(o.batch), '--size', String(o.size)];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26, env: benchEnvironment() });
  const line = result.stdout.split('\n').find((l) => l.startsWith('{"row"'));
  if (line) return JSON.parse(line) as Row;
  const why = (result.stderr || result.stdout || `exit ${result.status}`).split('\n').find((l) => /error|abort/i.test(l)) ?? `exit ${result.status ?? result.signal}`;
  return { row: rowName(o), backend, ok: false, error: why.trim().slice(0, 200) };
}

function runTorch(o: Options, threads: number): { trainStepMs: number; inferenceMs: number; framework: string } | { error: string } {
  const python = process.env.MICFLOW_TORCH_PYTHON ?? '/usr/bin/python3';
  const script = join(dirname(fileURLToPath(import.meta.url)), 'torch_unet2d.py');
  const result = spawnSync(
    python,
    [script, '--batch', String(o.batch), '--size', String(o.size), '--steps', String(o.steps), '--warmup', String(o.warmup), '--threads', String(threads)],
    { encoding: 'utf8', maxBuffer: 1 << 24, env: benchEnvironment() },
  );
  const line = result.stdout?.split('\n').find((l) => l.startsWith('{'));
  if (!line) {
    const why = (result.stderr || String(result.error ?? `exit ${result.status}`)).trim().split('\n').pop();
    return { error: `${python} ${script} failed: ${why} (Debian: apt-get install python3-torch)` };
  }
  return JSON.parse(line);
}

const fmt = (ms: number | undefined) => (ms === undefined ? '-' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

function table(rows: Row[], torch: { framework: string; trainStepMs: number; inferenceMs: number } | { error: string } | undefined): string {
  const header = ['row', 'backend', 'train step', 'inference/image', 'peak RSS', 'live tensors before/after', ...(torch ? ['train ratio vs torch', 'inference ratio vs torch'] : [])];
  const lines = rows.map((r) => [
    r.row,
    r.backend,
    r.ok ? fmt(r.trainStepMs) : `failed: ${r.error}`,
    fmt(r.inferenceMs),
    r.peakRssMb === undefined ? '-' : `${r.peakRssMb.toFixed(0)} MB`,
    r.ok ? `${r.liveTensorsBefore}/${r.liveTensorsAfter}` : '-',
    ...(torch ? [r.trainRatio?.toFixed(2) ?? '-', r.inferenceRatio?.toFixed(2) ?? '-'] : []),
  ]);
  if (torch && 'framework' in torch) {
    lines.push([rows[0]?.row ?? '', torch.framework, fmt(torch.trainStepMs), fmt(torch.inferenceMs), '-', '-', '1.00', '1.00']);
  }
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((l) => String(l[i]).length)));
  const render = (l: string[]) => `| ${l.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [render(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(render)].join('\n');
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (o.child) {
    try {
      console.log(JSON.stringify(await measureBackend(o, o.child)));
    } catch (error) {
      console.error(`error: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      process.exit(1);
    }
    return;
  }
  const threads = Number(process.env.OMP_NUM_THREADS) || availableParallelism();
  console.log(
    `micflow bench: ${rowName(o)}, ${o.steps} steps after ${o.warmup} warm-up, ${threads} threads, ` +
      `OMP_WAIT_POLICY=${benchEnvironment().OMP_WAIT_POLICY}, backends ${o.backends.join(', ')}, ` +
      `load average ${loadavg()[0].toFixed(1)} (timings scale with other work on the machine)`,
  );
  const loadBefore = loadavg()[0];
  const rows: Row[] = [];
  for (const backend of o.backends) {
    const row = runChild(o, backend);
    rows.push(row);
    console.log(`  ${backend}: ${row.ok ? `train ${fmt(row.trainStepMs)}, inference ${fmt(row.inferenceMs)}` : `failed: ${row.error}`}`);
  }
  let torch: ReturnType<typeof runTorch> | undefined;
  if (o.vsTorch) {
    torch = runTorch(o, threads);
    if ('error' in torch) console.log(`  pytorch: ${torch.error}`);
    else {
      console.log(`  ${torch.framework}: train ${fmt(torch.trainStepMs)}, inference ${fmt(torch.inferenceMs)}`);
      for (const r of rows) {
        if (!r.ok) continue;
        r.torchTrainStepMs = torch.trainStepMs;
        r.torchInferenceMs = torch.inferenceMs;
        r.trainRatio = (r.trainStepMs as number) / torch.trainStepMs;
        r.inferenceRatio = (r.inferenceMs as number) / torch.inferenceMs;
      }
    }
  }
  console.log('\n' + table(rows, torch));
  const result = {
    date: new Date().toISOString(),
    threads,
    ompWaitPolicy: benchEnvironment().OMP_WAIT_POLICY,
    loadAverage: { before: loadBefore, after: loadavg()[0] },
    options: { ...o, child: undefined },
    rows,
    torch,
  };
  if (o.json) writeFileSync(o.json, JSON.stringify(result, null, 2));
  console.log('\n' + JSON.stringify(result));
}

await main();
