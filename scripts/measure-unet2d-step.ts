/**
 * Times one UNet2D training step (forward in training mode, mean softmax cross-entropy on random labels,
 * tf.variableGrads, Adam) on each backend: median of 5 steps after 1 warm-up.
 *
 *   npx tsx scripts/measure-unet2d-step.ts [--only a|b] [--backends wasm,cpu] [--batch n]
 *
 * Case (b) is PyMIC's size at 256x256. A step needs ~1.4 GB of wasm heap per image in the batch (the gradient tape
 * keeps every activation), and wasm32 memory stops at 4 GB, so batch 4 aborts inside the wasm module ("Aborted()")
 * and batch 2 (2.8 GB) is the largest that runs; pass --batch 4 to see it fail.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { UNet2D, unet2dParams } from '../src/networks/unet2d.js';
import { SeededRandom } from '../src/runtime/seeded-random.js';

interface Case {
  id: string;
  features: number[];
  batch: number;
  height: number;
  width: number;
  backends: string[];
}

const CASES: Case[] = [
  { id: 'a', features: [8, 16, 32, 64, 128], batch: 4, height: 96, width: 112, backends: ['wasm', 'cpu'] },
  // The cpu backend takes minutes per step at this size; batch 4 does not fit in wasm's 4 GB (see above).
  { id: 'b', features: [16, 32, 64, 128, 256], batch: 2, height: 256, width: 256, backends: ['wasm'] },
];

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(c: Case, backend: string): Promise<number[]> {
  await tf.setBackend(backend);
  await tf.ready();
  const random = new SeededRandom(1);
  const net = new UNet2D({ ...unet2dParams.parse({ inChannels: 1, classes: 2, features: c.features }), random: random.derive('init') });
  const optimizer = tf.train.adam(1e-3);
  const classes = 2;
  const x = tf.tensor4d(random.normalArray(c.batch * c.height * c.width), [c.batch, c.height, c.width, 1]);
  const labels = Int32Array.from({ length: c.batch * c.height * c.width }, () => random.integer(classes));
  const target = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
  const times: number[] = [];
  try {
    for (let step = 0; step < 6; step++) {
      const start = performance.now();
      const { value, grads } = tf.variableGrads(() =>
        tf.tidy(() => {
          const logits = tf.reshape(net.apply(x, { training: true, random: random.derive('step', step) }), [-1, classes]);
          return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1))) as tf.Scalar;
        }),
        net.trainableVariables,
      );
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      value.dataSync();
      await Promise.all(Object.values(grads).map((g) => g.data()));
      const elapsed = performance.now() - start;
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
      if (step > 0) times.push(elapsed);
    }
  } finally {
    optimizer.dispose();
    net.dispose();
    x.dispose();
    target.dispose();
  }
  return times;
}

const only = argument('only');
const batch = argument('batch');
if (batch !== undefined) for (const c of CASES) c.batch = Number(batch);
const backendFilter = argument('backends')?.split(',');
for (const c of CASES) {
  if (only && c.id !== only) continue;
  for (const backend of c.backends) {
    if (backendFilter && !backendFilter.includes(backend)) continue;
    const times = await measure(c, backend);
    console.log(
      `(${c.id}) features [${c.features.join(',')}], batch ${c.batch}, 1x${c.height}x${c.width}, ${backend}: ` +
        `median ${(median(times) / 1000).toFixed(2)} s/step (${times.map((t) => (t / 1000).toFixed(2)).join(', ')})`,
    );
  }
}
