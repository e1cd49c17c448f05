import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { PortSpec, PortSpecs } from '../../graph/port-spec.js';
import { TensorStage, type InputsOf, type TickContext } from '../../graph/stage.js';
import { hasHeads, imageBatchOf } from '../../networks/segmentation-network.js';
import { resizeLinear } from '../../runtime/ops/resize-linear.js';
import { stopGradient } from '../../runtime/ops/stop-gradient.js';

const params = z
  .object({
    heads: z.number().int().min(2).max(8).describe('How many heads the network has, main included (2–8); checked against the network on the first tick'),
    resize: z
      .enum(['input', 'none'])
      .default('input')
      .describe(
        "'input' resizes every head to the input's spatial size (bilinear for images, trilinear for volumes, as PyTorch's interpolate with align_corners=False; URPC's pyramid), 'none' keeps each head's own resolution (deep supervision)",
      ),
    training: z.boolean().default(true).describe('Training mode: batch statistics, dropout and the auxiliary perturbations'),
    stopGradient: z.boolean().default(false).describe("Block gradients through every head (a teacher's or a partner's opinion)"),
  })
  .strict();

type ForwardHeadsParams = z.infer<typeof params>;

const forwardHeadsInputs = {
  net: {
    type: 'network',
    description: 'a network with several heads (CctUNet2D, DualBranchUNet2D/3D, UNet2D/3D with deepSupervision, MultiNet)',
  },
  image: { type: 'tensor', description: 'images [N, H, W, C] or volumes [N, D, H, W, C]' },
} as const satisfies PortSpecs;
/** The ports every configuration has; `outputsFor` adds logitsK/probK for K = 1 .. heads-1. */
const forwardHeadsOutputs = {
  logits: { type: 'tensor', description: 'main head logits [N, H, W, classes] (or [N, D, H, W, classes])' },
  prob: { type: 'tensor', description: 'main head softmax probabilities' },
  meanProb: { type: 'tensor', description: 'mean of all heads\' probabilities at the input resolution' },
} as const satisfies PortSpecs;

/** Port names of head `k`: `logits`/`prob` for the main head, `logits1`/`prob1`, ... for the others. */
export function headPortNames(k: number): { logits: string; prob: string } {
  return k === 0 ? { logits: 'logits', prob: 'prob' } : { logits: `logits${k}`, prob: `prob${k}` };
}

/**
 * One forward pass through a multi-head network — CCT's auxiliary decoders (Ouali et al., CVPR 2020), a dual-branch
 * or multi-decoder network (MC-Net, Wu et al., MICCAI 2021; DMPLS, Luo et al., MICCAI 2022), a U-Net's
 * deep-supervision pyramid (URPC, Luo et al., MICCAI 2021) — giving every head's logits and softmax probabilities as
 * separate ports (`logits`/`prob` for the main head, `logits1`/`prob1`, ... for the others) and their mean probability
 * `meanProb`. The encoder runs once. With `resize: 'none'` the heads keep their own resolution, so a list of them can
 * feed DeepSupervisionLoss (`predictions: ['heads.logits', 'heads.logits1', ...]`).
 */
export class ForwardHeads extends TensorStage<ForwardHeadsParams, typeof forwardHeadsInputs> {
  static readonly className = 'ForwardHeads';
  static readonly description = 'Forward pass of a multi-head network: logits/prob per head (main first) and their mean probability';
  static readonly reference = 'Ouali et al. (CCT) CVPR 2020; Wu et al. (MC-Net) MICCAI 2021; Luo et al. (URPC) MICCAI 2021';
  static readonly paramsSchema = params;
  static readonly inputs = forwardHeadsInputs;
  static readonly outputs = forwardHeadsOutputs;

  static outputsFor(p: ForwardHeadsParams): PortSpecs {
    const specs: Record<string, PortSpec> = { ...forwardHeadsOutputs };
    for (let k = 1; k < p.heads; k++) {
      const names = headPortNames(k);
      specs[names.logits] = { type: 'tensor', description: `head ${k} logits` };
      specs[names.prob] = { type: 'tensor', description: `head ${k} softmax probabilities` };
    }
    return specs;
  }

  override compute(inputs: InputsOf<typeof forwardHeadsInputs>, tick: TickContext): Record<string, tf.Tensor> {
    const { network, node } = inputs.net;
    const image = imageBatchOf(inputs.image, `node "${this.nodeName}": image input`);
    if (!hasHeads(network)) {
      throw new MicflowError('invalid-pipeline', `node "${this.nodeName}": network "${node}" (${network.className}) has a single head; use Forward`);
    }
    const expected = this.params.heads;
    if (network.headNames.length !== expected) {
      throw new MicflowError(
        'invalid-pipeline',
        `node "${this.nodeName}": params.heads is ${expected} but network "${node}" (${network.className}) has ${network.headNames.length} heads (${network.headNames.join(', ')})`,
      );
    }
    let heads: tf.Tensor[] = network.applyHeads(image, { training: this.params.training, random: tick.random });
    const spatial = image.shape.slice(1, -1);
    if (this.params.resize === 'input') {
      heads = heads.map((h) => (h.shape.slice(1, -1).every((s, i) => s === spatial[i]) ? h : resizeLinear(h, spatial)));
    }
    if (this.params.stopGradient) heads = heads.map((h) => stopGradient(h));
    const probs = heads.map((h) => tf.softmax(h));
    const outputs: Record<string, tf.Tensor> = {};
    heads.forEach((h, k) => {
      const names = headPortNames(k);
      outputs[names.logits] = h;
      outputs[names.prob] = probs[k];
    });
    const atInput = probs.map((p) => (p.shape.slice(1, -1).every((s, i) => s === spatial[i]) ? p : resizeLinear(p, spatial)));
    outputs.meanProb = tf.div(tf.addN(atInput), atInput.length);
    return outputs;
  }
}
