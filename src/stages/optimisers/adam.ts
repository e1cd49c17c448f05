import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PortSpecs } from '../../graph/port-spec.js';
import { OptimiserStage } from '../../graph/stage.js';
import { adamUpdate, type AdamMoments } from '../../runtime/ops/adam-update.js';

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
 * optional L2 weight decay in the gradient, and a step learning-rate schedule. Each variable's step is the runtime's
 * adamUpdate (one addon pass on the native backend).
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
    for (const variable of variables) {
      const gradient = gradients[variable.name];
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
    }
  }

  override dispose(): void {
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
  }
}
