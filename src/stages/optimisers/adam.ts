import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { OptimiserStage } from '../../graph/stage.js';
import { NATIVE_ADAM_UPDATE, onNativeBackend } from '../../runtime/native/native-kernels.js';

const params = z
  .object({
    lr: z.number().positive().default(1e-3),
    betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
    eps: z.number().positive().default(1e-8),
    /** L2 penalty added to the gradient, as PyTorch's Adam `weight_decay` (PyMIC's default 1e-5). */
    weightDecay: z.number().min(0).default(1e-5),
    /** Multiply the learning rate by `gamma` at each of these iterations (PyTorch's MultiStepLR). */
    milestones: z.array(z.number().int().positive()).default([]),
    gamma: z.number().positive().max(1).default(0.5),
  })
  .strict();
export type AdamParams = z.infer<typeof params>;

/**
 * Adam (Kingma & Ba, ICLR 2015) with PyTorch's update rule: bias-corrected moments, ε added after the square root,
 * optional L2 weight decay in the gradient, and a step learning-rate schedule. On the native backend each variable's
 * step is one addon pass (MicflowAdamUpdate) with the same operations in the same order.
 */
export class Adam extends OptimiserStage<AdamParams> {
  static readonly className = 'Adam';
  static readonly description = 'Adam optimiser (PyTorch semantics) with weight decay and step LR schedule';
  static readonly reference = 'Kingma & Ba. Adam: A Method for Stochastic Optimization. ICLR 2015';
  static readonly paramsSchema = params;
  static readonly inputs = {
    loss: { type: 'scalar', description: 'the loss to minimise' },
    nets: { type: 'network', list: true, description: 'networks whose variables this optimiser trains' },
  } as const;
  static readonly outputs = {};

  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable; steps: number }>();

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
      const { m, v, steps } = state;
      if (onNativeBackend() && variable.dtype === 'float32' && gradient.dtype === 'float32') {
        // One pass per variable instead of about a dozen elementwise ops (same rule, same order of operations).
        const attrs = { lr, beta1, beta2, eps: this.params.eps, weightDecay: this.params.weightDecay, step: steps };
        tf.tidy(() => {
          const [x, mNew, vNew] = tf.engine().runKernel(NATIVE_ADAM_UPDATE, { x: variable, gradient, m, v }, attrs) as tf.Tensor[];
          m.assign(mNew);
          v.assign(vNew);
          variable.assign(x);
        });
        continue;
      }
      tf.tidy(() => {
        const g = this.params.weightDecay > 0 ? tf.add(gradient, tf.mul(variable, this.params.weightDecay)) : gradient;
        const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(mNew);
        v.assign(vNew);
        const correction1 = 1 - beta1 ** steps;
        const correction2 = 1 - beta2 ** steps;
        const denominator = tf.add(tf.div(tf.sqrt(vNew), Math.sqrt(correction2)), this.params.eps);
        variable.assign(tf.sub(variable, tf.mul(tf.div(mNew, denominator), lr / correction1)));
      });
    }
  }

  override dispose(): void {
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
  }
}
