/**
 * The network rows of `npm run bench`: PyMIC's UNet2D and UNet3D trained with soft Dice + cross-entropy and micflow's
 * Adam stage (PyTorch's rule, lr 1e-3, no weight decay) on random data, timed per training step and per inference, or
 * run for a number of steps while live tensors and RSS are sampled (the flatness check). Runs inside a bench child
 * process, on the backend it was given.
 */
import type * as tfTypes from '@tensorflow/tfjs-core';
import { flatnessCheckpoints, median, type FlatnessSample } from './bench-report.js';
import { checkLayersAgainstKernels, trainingStepConvFlops, unetConvLayers, type StepConvFlops } from './conv-flops.js';

export type NetworkRowId = 'unet2d' | 'unet3d';

/** What one network row trains: the architecture's channels and dropout, the batch and the patch. */
export interface NetworkRowSpec {
  id: NetworkRowId;
  /** 2 for UNet2D (NHWC), 3 for UNet3D (NDHWC). */
  dims: 2 | 3;
  batch: number;
  /** Edge length of the square / cubic patch. */
  size: number;
  features: number[];
  dropout: number[];
  classes: number;
}

/** Defaults: PyMIC's UNet2D at batch 4 of 1x256²; the UNet3D at batch 1 of 1x64³ with 8-16-32-64-128 channels. */
export const NETWORK_ROW_DEFAULTS: Record<NetworkRowId, NetworkRowSpec> = {
  unet2d: { id: 'unet2d', dims: 2, batch: 4, size: 256, features: [16, 32, 64, 128, 256], dropout: [0.05, 0.1, 0.2, 0.3, 0.5], classes: 2 },
  unet3d: { id: 'unet3d', dims: 3, batch: 1, size: 64, features: [8, 16, 32, 64, 128], dropout: [0, 0, 0.3, 0.4, 0.5], classes: 2 },
};

/** 'UNet2D 16-32-64-128-256, batch 4 of 1x256x256' */
export function networkRowLabel(spec: NetworkRowSpec): string {
  const patch = new Array<number>(spec.dims).fill(spec.size).join('x');
  return `${spec.dims === 2 ? 'UNet2D' : 'UNet3D'} ${spec.features.join('-')}, batch ${spec.batch} of 1x${patch}`;
}

export interface NetworkTimings {
  parameters: number;
  selection: string;
  trainStepMs: number;
  trainStepMsAll: number[];
  inferenceMs: number;
  inferenceMsAll: number[];
  peakRssMb: number;
  liveTensorsBefore: number;
  liveTensorsAfter: number;
  /**
   * The convolution FLOPs of one training step (conv-flops.ts), counted from the row's spec and checked against the
   * network's kernel variables; undefined when they disagree (`convFlopsProblems` says how).
   */
  convFlops?: StepConvFlops;
  convFlopsProblems: string[];
}

interface NetworkRowSession {
  tf: typeof tfTypes;
  parameters: number;
  convFlops?: StepConvFlops;
  convFlopsProblems: string[];
  selection: string;
  /** One training step (forward, Dice + CE, gradients, Adam update, loss read back). */
  trainStep(step: number): void;
  /** Eval-mode forward of the first image of the batch, argmax read back. */
  infer(): void;
}

async function openSession(spec: NetworkRowSpec, backend: string): Promise<NetworkRowSession> {
  const tf = await import('@tensorflow/tfjs-core');
  const { TensorRuntime } = await import('../src/runtime/tensor-runtime.js');
  const { UNet2D, unet2dParams } = await import('../src/networks/unet2d.js');
  const { UNet3D, unet3dParams } = await import('../src/networks/unet3d.js');
  type SegmentationNetwork = import('../src/networks/segmentation-network.js').SegmentationNetwork;
  const { diceLoss } = await import('../src/losses/dice-loss.js');
  const { crossEntropyLoss } = await import('../src/losses/cross-entropy-loss.js');
  const { SeededRandom } = await import('../src/runtime/seeded-random.js');
  const { Adam } = await import('../src/stages/optimisers/adam.js');
  const { instantiateStage } = await import('../src/graph/instantiate-stage.js');
  const runtime = await TensorRuntime.create({ backend });
  const random = new SeededRandom(1);
  const params = { inChannels: 1, classes: spec.classes, features: spec.features, dropout: spec.dropout };
  const net: SegmentationNetwork =
    spec.dims === 2
      ? new UNet2D({ ...unet2dParams.parse(params), random: random.derive('init') })
      : new UNet3D({ ...unet3dParams.parse(params), random: random.derive('init') });
  // micflow's Adam stage, as pipelines train (PyTorch's rule), without weight decay as torch.optim.Adam's default.
  const adam = instantiateStage(Adam, { nodeName: 'adam', params: { lr: 1e-3, weightDecay: 0 }, random });
  const spatial = new Array<number>(spec.dims).fill(spec.size);
  const voxels = spec.batch * spatial.reduce((a, b) => a * b, 1);
  const imageShape: number[] = [spec.batch, ...spatial, 1];
  const targetShape: number[] = [spec.batch, ...spatial, spec.classes];
  const x = tf.tensor<tfTypes.Rank>(random.normalArray(voxels), imageShape) as tfTypes.Tensor4D;
  const labels = Int32Array.from({ length: voxels }, () => random.integer(spec.classes));
  const target: tfTypes.Tensor = tf.tidy(() => tf.reshape(tf.oneHot(tf.tensor1d(labels, 'int32'), spec.classes).toFloat(), targetShape));
  const image = tf.slice(x, 0, 1);
  // The FLOP count of the network actually built: the layer list must name every kernel variable, with its shape.
  const layers = unetConvLayers({ dims: spec.dims, size: spec.size, features: spec.features, classes: spec.classes });
  const kernels = net.trainableVariables.filter((v) => v.name.endsWith('/kernel')).map((v) => ({ name: v.name, shape: v.shape }));
  const convFlopsProblems = checkLayersAgainstKernels(layers, kernels);
  return {
    tf,
    parameters: net.parameterCount(),
    convFlops: convFlopsProblems.length ? undefined : trainingStepConvFlops(layers, spec.batch),
    convFlopsProblems,
    selection: runtime.selection.reason,
    trainStep(step: number) {
      const { value, grads } = tf.variableGrads(() => {
        const logits = net.apply(x, { training: true, random: random.derive('step', step) });
        return tf.add(crossEntropyLoss(logits, target), diceLoss(tf.softmax(logits), target)) as tfTypes.Scalar;
      }, net.trainableVariables as tfTypes.Variable[]);
      adam.apply(grads, net.trainableVariables, step + 1);
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
    },
    infer() {
      const labelsOut = tf.tidy(() => tf.argMax(net.apply(image, { training: false }), spec.dims + 1));
      labelsOut.dataSync();
      labelsOut.dispose();
    },
  };
}

/**
 * Median training step and inference after `warmup` untimed runs of each (at least one training step: the first
 * creates Adam's moment variables). Live tensors are counted after the warm-up and after the last timed step.
 */
export async function timeNetworkRow(spec: NetworkRowSpec, backend: string, steps: number, warmup: number): Promise<NetworkTimings> {
  const session = await openSession(spec, backend);
  const { tf } = session;
  const trainWarmup = Math.max(1, warmup);
  const train: number[] = [];
  let liveTensorsBefore = 0;
  for (let step = 0; step < trainWarmup + steps; step++) {
    if (step === trainWarmup) liveTensorsBefore = tf.memory().numTensors;
    const start = performance.now();
    session.trainStep(step);
    if (step >= trainWarmup) train.push(performance.now() - start);
  }
  const liveTensorsAfter = tf.memory().numTensors;
  const infer: number[] = [];
  for (let run = 0; run < warmup + steps; run++) {
    const start = performance.now();
    session.infer();
    if (run >= warmup) infer.push(performance.now() - start);
  }
  return {
    parameters: session.parameters,
    selection: session.selection,
    trainStepMs: median(train) ?? NaN,
    trainStepMsAll: train.map((t) => Math.round(t)),
    inferenceMs: median(infer) ?? NaN,
    inferenceMsAll: infer.map((t) => Math.round(t * 10) / 10),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    liveTensorsBefore,
    liveTensorsAfter,
    convFlops: session.convFlops,
    convFlopsProblems: session.convFlopsProblems,
  };
}

/** Trains `steps` steps and samples live tensors and the current RSS at the checkpoints of {@link flatnessCheckpoints}. */
export async function sampleNetworkFlatness(spec: NetworkRowSpec, backend: string, steps: number): Promise<{ parameters: number; samples: FlatnessSample[] }> {
  const session = await openSession(spec, backend);
  const checkpoints = new Set(flatnessCheckpoints(steps));
  const samples: FlatnessSample[] = [];
  for (let step = 1; step <= steps; step++) {
    session.trainStep(step);
    if (checkpoints.has(step)) {
      samples.push({ step, liveTensors: session.tf.memory().numTensors, rssMb: process.memoryUsage().rss / 2 ** 20 });
    }
  }
  return { parameters: session.parameters, samples };
}
