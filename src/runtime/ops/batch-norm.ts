import * as tf from '@tensorflow/tfjs-core';
import '../register-gradients.js';
import { MicflowError } from '../../errors/micflow-error.js';
import { NATIVE_BATCH_NORM_GRAD, NATIVE_CHANNEL_AFFINE, NATIVE_CHANNEL_MOMENTS } from '../native/native-kernels.js';

/** Statistics of the batch a training-mode batch norm normalised with, for the caller's running-stat update. */
export interface BatchNormStatistics {
  /** Per-channel mean, shape [C]. */
  mean: tf.Tensor1D;
  /** Per-channel biased variance (divided by the count), the one used to normalise, shape [C]. */
  variance: tf.Tensor1D;
  /** Per-channel unbiased variance (divided by count - 1), the one PyTorch puts in running_var, shape [C]. */
  unbiasedVariance: tf.Tensor1D;
  /** Values per channel that the statistics were computed over. */
  count: number;
}

export interface BatchNormTrainingResult<T extends tf.Tensor> {
  y: T;
  statistics: BatchNormStatistics;
}

/**
 * An activation applied to a training-mode batch norm's output as part of it: a leaky ReLU with negative slope
 * `leakyReluAlpha` (0 gives ReLU). On native it costs no extra pass (see batchNormTraining).
 */
export interface FusedBatchNormActivation {
  leakyReluAlpha: number;
}

/** PyTorch's BatchNorm default epsilon. */
export const BATCH_NORM_EPSILON = 1e-5;

/**
 * Training-mode batch normalisation over every axis but the last (channels-last, any rank >= 2), as PyTorch's
 * BatchNorm{1,2,3}d in training (Ioffe & Szegedy 2015, "Batch Normalization: Accelerating Deep Network Training by
 * Reducing Internal Covariate Shift"): normalise with the batch mean and the biased batch variance, then scale and shift.
 *
 * The normalisation has a closed-form gradient (tf.batchNorm's own is slow and fails on rank 5; autodiff through the
 * elementwise formula makes some fifteen full-size passes). With x̂ = (x - mean)·rstd, rstd = 1/sqrt(var + ε), M values
 * per channel and sums over all axes but the last:
 *   dx = γ·rstd/M · (M·dy − Σdy − x̂·Σ(dy·x̂)),   dγ = Σ(dy·x̂),   dβ = Σdy.
 * The returned statistics are computed outside that custom gradient, from the same tensors, so differentiating
 * through them (nobody does; they feed the running-stat update) still follows tfjs's autodiff.
 *
 * On the native backend the statistics, the scale-and-shift and the gradient are single-pass oneDNN-addon kernels
 * (see {@link nativeBatchNormTraining}); elsewhere they are tfjs elementwise ops and reductions.
 *
 * With `activation`, `y` is leakyRelu(BN(x), activation.leakyReluAlpha), differentiated as that composition: fused
 * into the batch norm's own passes on native, tf.leakyRelu after it elsewhere, whose gradient is micflow's
 * (register-gradients.ts: it selects on flat views, so webgl, whose Select stops at rank 4, differentiates 5D too).
 */
export function batchNormTraining<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon = BATCH_NORM_EPSILON,
  activation?: FusedBatchNormActivation,
): BatchNormTrainingResult<T> {
  if (activation !== undefined && !(activation.leakyReluAlpha >= 0)) {
    throw new MicflowError('invalid-argument', `batchNormTraining: leakyReluAlpha must be >= 0, got ${activation.leakyReluAlpha}`);
  }
  if (tf.getKernel(NATIVE_CHANNEL_MOMENTS, tf.getBackend()) && x.dtype === 'float32' && x.size > 0) {
    return nativeBatchNormTraining(x, gamma, beta, epsilon, activation);
  }
  const result = batchNormTrainingOps(x, gamma, beta, epsilon);
  if (activation === undefined) return result;
  return { ...result, y: tf.leakyRelu(result.y, activation.leakyReluAlpha) as T };
}

/** batchNormTraining with tfjs ops and reductions (every backend but native). */
function batchNormTrainingOps<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainingResult<T> {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const count = x.size / x.shape[x.rank - 1];
  const mean = tf.mean(x, axes) as tf.Tensor1D;
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), axes) as tf.Tensor1D;
  const rstd = tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D;
  const normalise = tf.customGrad((...args) => {
    const [xIn, gammaIn, betaIn, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    save([centered, rstd, gammaIn]);
    const value = tf.add(tf.mul(centered, tf.mul(rstd, gammaIn)), betaIn);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [centeredSaved, rstdSaved, gammaSaved] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
        const dBeta = tf.sum(dy, axes) as tf.Tensor1D;
        // Σ(dy·x̂) = rstd·Σ(dy·(x − mean))
        const dGamma = tf.mul(tf.sum(tf.mul(dy, centeredSaved), axes), rstdSaved) as tf.Tensor1D;
        // dx = dy·(γ·rstd) + (x − mean)·(−γ·rstd²·dγ/M) + (−γ·rstd·dβ/M)
        const gammaRstd = tf.mul(gammaSaved, rstdSaved);
        const centeredScale = tf.mul(tf.mul(gammaRstd, rstdSaved), tf.mul(dGamma, -1 / count));
        const shift = tf.mul(gammaRstd, tf.mul(dBeta, -1 / count));
        const dx = tf.add(tf.add(tf.mul(dy, gammaRstd), tf.mul(centeredSaved, centeredScale)), shift);
        return [tf.reshape(dx, xIn.shape), dGamma, dBeta];
      },
    };
  });
  const y = normalise(x, gamma, beta) as T;
  const unbiasedVariance = tf.mul(variance, count > 1 ? count / (count - 1) : 1) as tf.Tensor1D;
  return { y, statistics: { mean, variance, unbiasedVariance, count } };
}

/**
 * batchNormTraining on the native backend: the batch mean and biased variance in one pass over x (the statistics
 * are not differentiable there: no caller differentiates through them), y = x·(γ·rstd) + (β − mean·γ·rstd) in one
 * pass, and the closed-form gradient of {@link batchNormTraining} in two passes (channel sums, then dx). A fused
 * leaky ReLU is applied in the same forward pass, and its gradient inside the same backward passes (dy·(y > 0 ? 1 : α),
 * from the saved output y), so the activation costs no pass of its own either way.
 */
function nativeBatchNormTraining<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  activation: FusedBatchNormActivation | undefined,
): BatchNormTrainingResult<T> {
  const count = x.size / x.shape[x.rank - 1];
  const [mean, variance] = tf.engine().runKernel(NATIVE_CHANNEL_MOMENTS, { x }, {}) as [tf.Tensor1D, tf.Tensor1D];
  const rstd = tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D;
  const attrs = (activation ? { leakyReluAlpha: activation.leakyReluAlpha } : {}) as tf.NamedAttrMap;
  const normalise = tf.customGrad((...args) => {
    const [xIn, gammaIn, betaIn, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const scale = tf.mul(rstd, gammaIn);
    const shift = tf.sub(betaIn, tf.mul(mean, scale));
    const value = tf.engine().runKernel(NATIVE_CHANNEL_AFFINE, { x: xIn, scale, shift }, attrs) as tf.Tensor;
    save(activation ? [xIn, mean, rstd, gammaIn, value] : [xIn, mean, rstd, gammaIn]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xSaved, meanSaved, rstdSaved, gammaSaved, ySaved] = saved;
        const inputs = { dy, x: xSaved, mean: meanSaved, rstd: rstdSaved, gamma: gammaSaved, ...(ySaved ? { y: ySaved } : {}) };
        return tf.engine().runKernel(NATIVE_BATCH_NORM_GRAD, inputs, attrs) as tf.Tensor[];
      },
    };
  });
  const y = normalise(x, gamma, beta) as T;
  const unbiasedVariance = tf.mul(variance, count > 1 ? count / (count - 1) : 1) as tf.Tensor1D;
  return { y, statistics: { mean, variance, unbiasedVariance, count } };
}

/**
 * Inference-mode batch normalisation with running statistics (Ioffe & Szegedy 2015): x·scale + shift per channel.
 * On native it is one addon pass, which has no gradient: differentiate batchNormTraining, not this.
 */
export function batchNormInference<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  runningMean: tf.Tensor1D,
  runningVariance: tf.Tensor1D,
  epsilon = BATCH_NORM_EPSILON,
): T {
  const scale = tf.mul(tf.rsqrt(tf.add(runningVariance, epsilon)), gamma);
  const shift = tf.sub(beta, tf.mul(runningMean, scale));
  if (tf.getKernel(NATIVE_CHANNEL_AFFINE, tf.getBackend()) && x.dtype === 'float32') {
    // One pass on native instead of a multiply and an add (not differentiable there: inference only).
    return tf.engine().runKernel(NATIVE_CHANNEL_AFFINE, { x, scale, shift }, {}) as T;
  }
  return tf.add(tf.mul(x, scale), shift) as T;
}

/**
 * PyTorch's running-stat update: running = (1 - momentum) * running + momentum * batch, with the unbiased batch
 * variance. Returns the new tensors; the caller assigns them to its variables.
 */
export function updatedRunningStatistics(
  runningMean: tf.Tensor1D,
  runningVariance: tf.Tensor1D,
  statistics: BatchNormStatistics,
  momentum = 0.1,
): { mean: tf.Tensor1D; variance: tf.Tensor1D } {
  return {
    mean: tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(statistics.mean, momentum)) as tf.Tensor1D,
    variance: tf.add(
      tf.mul(runningVariance, 1 - momentum),
      tf.mul(statistics.unbiasedVariance, momentum),
    ) as tf.Tensor1D,
  };
}
