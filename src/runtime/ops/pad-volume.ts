import * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../../errors/micflow-error.js';

/** Padding before and after each of a rank-5 tensor's axes. */
export type VolumePaddings = readonly [readonly [number, number], readonly [number, number], readonly [number, number], readonly [number, number], readonly [number, number]];

/**
 * tf.pad of a rank-5 tensor (NDHWC) with a constant, as two pads of rank 4 and 3 on reshaped views: first H, W and C
 * on [N·D, H, W, C], then N and D on [N, D, H'·W'·C']. The values are tf.pad's (padding only copies), and so is the
 * gradient (slices of the same views), but no backend is asked for a rank-5 PadV2: tfjs 4.22's webgl backend cannot
 * compile one (its packed pad shader calls lessThan on ivec5), which is what made 3D ops undifferentiable there.
 */
export function padVolume<T extends tf.Tensor>(x: T, paddings: VolumePaddings, constantValue = 0): T {
  if (x.rank !== 5) throw new MicflowError('invalid-shape', `padVolume needs a rank-5 tensor, got shape [${x.shape}]`);
  const [n, d, h, w, c] = x.shape;
  const [pn, pd, ph, pw, pc] = paddings;
  const [hOut, wOut, cOut] = [h + ph[0] + ph[1], w + pw[0] + pw[1], c + pc[0] + pc[1]];
  return tf.tidy(() => {
    let y: tf.Tensor = x;
    if (ph[0] || ph[1] || pw[0] || pw[1] || pc[0] || pc[1]) {
      y = tf.pad(tf.reshape(y, [n * d, h, w, c]), [[0, 0], [ph[0], ph[1]], [pw[0], pw[1]], [pc[0], pc[1]]], constantValue);
    }
    if (pn[0] || pn[1] || pd[0] || pd[1]) {
      y = tf.pad(tf.reshape(y, [n, d, hOut * wOut * cOut]), [[pn[0], pn[1]], [pd[0], pd[1]], [0, 0]], constantValue);
    }
    return tf.reshape(y, [n + pn[0] + pn[1], d + pd[0] + pd[1], hOut, wOut, cOut]) as T;
  });
}
