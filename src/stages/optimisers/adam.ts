import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PortSpecs } from '../../graph/port-spec.js';
import type { StoredTensor } from '../../checkpoints/checkpoint-store.js';
import { MicflowError } from '../../errors/micflow-error.js';
import { OptimiserStage, type StageState } from '../../graph/stage.js';
import { storedTensorOf, tensorOfStored } from '../../checkpoints/stored-tensor.js';
import { adamUpdate, type AdamMoments } from '../../runtime/ops/adam-update.js';
import { sumOfSquares } from '../../runtime/ops/sum-of-squares.js';

const params = z
  .object({
    lr: z.number().positive().default(1e-3).describe('Learning rate before the step schedule (PyMIC `learning_rate`)'),
    betas: z
      .tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)])
      .default([0.9, 0.999])
      .describe("Decay rates in [0, 1) of the first and second moment (PyTorch's Adam `betas`)"),
    eps: z.number().positive().default(1e-8).describe("Added to the root of the second moment, after the square root (PyTorch's Adam `eps`)"),
    weightDecay: z
      .number()
      .min(0)
      .default(1e-5)
      .describe("L2 penalty added to the gradient, as PyTorch's Adam `weight_decay` (PyMIC `weight_decay`, default 1e-5)"),
    milestones: z
      .array(z.number().int().positive())
      .default([])
      .describe("Iterations at each of which the learning rate is multiplied by `gamma` (PyTorch's MultiStepLR; PyMIC `lr_milestones`)"),
    gamma: z.number().positive().max(1).default(0.5).describe('Factor in (0, 1] applied to the learning rate at each milestone (PyMIC `lr_gamma`)'),
    clipGradientNorm: z
      .number()
      .positive()
      .nullable()
      .default(null)
      .describe("Scale the gradients down when their global L2 norm exceeds this, before the step (PyTorch's clip_grad_norm_, factor max / (norm + 1e-6)); null: no clipping"),
  })
  .strict();
export type AdamParams = z.infer<typeof params>;

const adamInputs = {
  loss: { type: 'scalar', description: 'the loss to minimise' },
  nets: { type: 'network', list: true, description: 'networks whose variables this optimiser trains' },
} as const satisfies PortSpecs;
const adamOutputs = {} as const satisfies PortSpecs;

/**
 * Adam (Kingma & Ba, ICLR 2015) with PyTorch's update rule: bias-corrected moments, ε added after the square root,
 * optional L2 weight decay in the gradient, a step learning-rate schedule and optional global gradient-norm clipping.
 * Each variable's step is the runtime's adamUpdate (one addon pass on the native backend). Its moments and step counts
 * are state a resumed run restores.
 */
export class Adam extends OptimiserStage<AdamParams> {
  static readonly className = 'Adam';
  static readonly description = 'Adam optimiser (PyTorch semantics) with weight decay and step LR schedule';
  static readonly reference = 'Kingma & Ba. Adam: A Method for Stochastic Optimization. ICLR 2015';
  static readonly paramsSchema = params;
  static readonly inputs = adamInputs;
  static readonly outputs = adamOutputs;

  private readonly moments = new Map<string, AdamMoments & { steps: number }>();

  override learningRate(iteration: number): number {
    const passed = this.params.milestones.filter((m) => iteration >= m).length;
    return this.params.lr * this.params.gamma ** passed;
  }

  override apply(gradients: Record<string, tf.Tensor>, variables: readonly tf.Variable[], iteration: number): void {
    const [beta1, beta2] = this.params.betas;
    const lr = this.learningRate(iteration);
    const clip = this.clipFactor(gradients, variables);
    for (const variable of variables) {
      const raw = gradients[variable.name];
      const gradient = raw && clip !== undefined ? tf.mul(raw, clip) : raw;
      if (!gradient) continue; // the loss does not depend on it this tick
      let state = this.moments.get(variable.name);
      if (!state) {
        // In a tidy, so that the zero tensors the moments start from do not outlive them (tidy keeps variables).
        state = tf.tidy(() => ({
          m: tf.variable(tf.zerosLike(variable), false, `${this.nodeName}/m/${variable.name}`),
          v: tf.variable(tf.zerosLike(variable), false, `${this.nodeName}/v/${variable.name}`),
          steps: 0,
        }));
        this.moments.set(variable.name, state);
      }
      state.steps += 1;
      adamUpdate(variable, gradient, state, { lr, beta1, beta2, eps: this.params.eps, weightDecay: this.params.weightDecay, step: state.steps });
      if (gradient !== raw) gradient.dispose();
    }
  }

  /** max / (norm + 1e-6) when the gradients' global norm exceeds `clipGradientNorm`, else undefined (no scaling). */
  private clipFactor(gradients: Record<string, tf.Tensor>, variables: readonly tf.Variable[]): number | undefined {
    const max = this.params.clipGradientNorm;
    if (max === null) return undefined;
    const present = variables.map((v) => gradients[v.name]).filter((g): g is tf.Tensor => g !== undefined);
    if (!present.length) return undefined;
    const norm = tf.tidy(() => tf.sqrt(sumOfSquares(present)).dataSync()[0]);
    return norm > max ? max / (norm + 1e-6) : undefined;
  }

  /** Every variable's first and second moment and its step count. */
  async saveState(): Promise<StageState> {
    const tensors: Record<string, StoredTensor> = {};
    const steps: Record<string, number> = {};
    for (const [name, { m, v, steps: count }] of this.moments) {
      tensors[`m/${name}`] = await storedTensorOf(m);
      tensors[`v/${name}`] = await storedTensorOf(v);
      steps[name] = count;
    }
    return { values: { steps }, tensors };
  }

  restoreState(state: StageState): void {
    this.dispose();
    const { steps } = state.values as { steps: Record<string, number> };
    for (const [name, count] of Object.entries(steps)) {
      const m = state.tensors?.[`m/${name}`];
      const v = state.tensors?.[`v/${name}`];
      if (!m || !v) throw new MicflowError('invalid-checkpoint', `optimiser "${this.nodeName}": the checkpoint has no moments for variable ${name}`);
      this.moments.set(
        name,
        tf.tidy(() => ({
          m: tf.variable(tensorOfStored(m), false, `${this.nodeName}/m/${name}`),
          v: tf.variable(tensorOfStored(v), false, `${this.nodeName}/v/${name}`),
          steps: count,
        })),
      );
    }
  }

  override dispose(): void {
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
  }
}
