import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/runtime/register-gradients.js';
import { pipeline, stage } from '../../src/graph/pipeline-definition.js';
import { instantiateStage } from '../../src/graph/instantiate-stage.js';
import { StageRegistry } from '../../src/graph/stage-registry.js';
import { validatePipeline } from '../../src/graph/validate-pipeline.js';
import type { NetworkState, TickContext } from '../../src/graph/stage.js';
import { CctUNet2D, cctUNet2DParams } from '../../src/networks/cct-unet2d.js';
import { DualBranchUNet3D, dualBranchUNet3DParams } from '../../src/networks/dual-branch-unet3d.js';
import { UNet2D, unet2dParams } from '../../src/networks/unet2d.js';
import { UNet3D, unet3dParams } from '../../src/networks/unet3d.js';
import { resizeLinear } from '../../src/runtime/ops/resize-linear.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../src/stages/built-in-stages.js';
import { ForwardHeads } from '../../src/stages/forward/forward-heads.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const stageWith = (params: unknown) =>
  instantiateStage(ForwardHeads, { nodeName: 'heads', params });
const tick = (seed: number): TickContext => ({ iteration: 1, iterations: 1, random: new SeededRandom(seed) });
const stateOf = (network: NetworkState['network']): NetworkState => ({ node: 'net', network });
const maxAbsDifference = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

const cct = new CctUNet2D({ ...cctUNet2DParams.parse({ inChannels: 1, classes: 3, features: [2, 4, 4, 8, 8], dropout: [0, 0, 0, 0, 0.5] }), name: 'fh_cct', random: new SeededRandom(3) });
const unet = new UNet2D({ ...unet2dParams.parse({ inChannels: 1, classes: 3, features: [2, 4, 4, 8, 8], dropout: [0, 0, 0, 0, 0], deepSupervision: true }), name: 'fh_unet', random: new SeededRandom(4) });
const plain = new UNet2D({ ...unet2dParams.parse({ inChannels: 1, classes: 3, features: [2, 4, 4, 8, 8], dropout: [0, 0, 0, 0, 0] }), name: 'fh_plain', random: new SeededRandom(5) });
const image = tf.randomNormal([2, 16, 32, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
const dual3d = new DualBranchUNet3D({ ...dualBranchUNet3DParams.parse({ inChannels: 1, classes: 3, features: [2, 4, 4, 8], dropout: [0, 0, 0, 0.3] }), name: 'fh_dual3d', random: new SeededRandom(6) });
const unet3d = new UNet3D({ ...unet3dParams.parse({ inChannels: 1, classes: 3, features: [2, 4, 4, 8], dropout: [0, 0, 0, 0], deepSupervision: true }), name: 'fh_unet3d', random: new SeededRandom(7) });
const plain3d = new UNet3D({ ...unet3dParams.parse({ inChannels: 1, classes: 3, features: [2, 4, 4, 8], dropout: [0, 0, 0, 0] }), name: 'fh_plain3d', random: new SeededRandom(8) });
const volume = tf.randomNormal([2, 8, 16, 8, 1], 0, 1, 'float32', 9) as tf.Tensor5D;

afterAll(() => {
  cct.dispose();
  unet.dispose();
  plain.dispose();
  image.dispose();
  dual3d.dispose();
  unet3d.dispose();
  plain3d.dispose();
  volume.dispose();
});

describe('ForwardHeads', () => {
  describe('having a CCT network with three auxiliary decoders', () => {
    it('should give the same logits as the network\'s own applyWithAuxiliary under the same randomness', () => {
      const out = stageWith({ heads: 4 }).compute({ net: stateOf(cct), image }, tick(11));
      const reference = cct.applyWithAuxiliary(image, { training: true, random: new SeededRandom(11) });
      expect(maxAbsDifference(out.logits, reference.main)).toBe(0);
      reference.auxiliary.forEach((aux, k) => expect(maxAbsDifference(out[`logits${k + 1}`], aux)).toBe(0));
      tf.dispose([reference.main, ...reference.auxiliary, ...Object.values(out)]);
    });

    it('should give softmax probabilities per head and their mean as meanProb', () => {
      const out = stageWith({ heads: 4 }).compute({ net: stateOf(cct), image }, tick(12));
      for (const k of ['', '1', '2', '3']) expect(maxAbsDifference(out[`prob${k}`], tf.softmax(out[`logits${k}`]))).toBeLessThan(1e-6);
      const mean = tf.div(tf.addN([out.prob, out.prob1, out.prob2, out.prob3]), 4);
      expect(maxAbsDifference(out.meanProb, mean)).toBeLessThan(1e-6);
      tf.dispose([mean, ...Object.values(out)]);
    });
  });

  describe('having a deep-supervision U-Net', () => {
    it('should resize the coarser heads to the input (bilinear) unless resize is none', () => {
      const resized = stageWith({ heads: 4, training: false }).compute({ net: stateOf(unet), image }, tick(1));
      const native = stageWith({ heads: 4, training: false, resize: 'none' }).compute({ net: stateOf(unet), image }, tick(1));
      expect(resized.logits3.shape).toEqual([2, 16, 32, 3]);
      expect(native.logits1.shape).toEqual([2, 8, 16, 3]);
      expect(native.logits3.shape).toEqual([2, 2, 4, 3]);
      const expected = resizeLinear(native.logits2, [16, 32]);
      expect(maxAbsDifference(resized.logits2, expected)).toBeLessThan(1e-5);
      expect(resized.meanProb.shape).toEqual([2, 16, 32, 3]);
      expect(native.meanProb.shape).toEqual([2, 16, 32, 3]);
      tf.dispose([expected, ...Object.values(resized), ...Object.values(native)]);
    });

    it('should block every gradient with stopGradient and pass them otherwise', () => {
      for (const stopGradient of [false, true]) {
        const heads = stageWith({ heads: 4, stopGradient, training: false });
        const g = tf.grad((x: tf.Tensor) => tf.sum(heads.compute({ net: stateOf(unet), image: x }, tick(1)).logits3))(image);
        const norm = tf.sum(tf.abs(g)).dataSync()[0];
        if (stopGradient) expect(norm).toBe(0);
        else expect(norm).toBeGreaterThan(0);
        g.dispose();
      }
    });
  });

  describe('having 3D networks and [N, D, H, W, C] volumes', () => {
    it("should give a dual-branch network's branches as logits/logits1, equal to its applyBranches under the same randomness", () => {
      const out = stageWith({ heads: 2 }).compute({ net: stateOf(dual3d), image: volume }, tick(13));
      const [first, second] = dual3d.applyBranches(volume, { training: true, random: new SeededRandom(13) });
      expect(out.logits.shape).toEqual([2, 8, 16, 8, 3]);
      expect(maxAbsDifference(out.logits, first)).toBe(0);
      expect(maxAbsDifference(out.logits1, second)).toBe(0);
      const mean = tf.div(tf.add(tf.softmax(first), tf.softmax(second)), 2);
      expect(maxAbsDifference(out.meanProb, mean)).toBeLessThan(1e-6);
      tf.dispose([first, second, mean, ...Object.values(out)]);
    });

    it("should resize a 3D U-Net's deep-supervision heads to the input (trilinear) unless resize is none", () => {
      const resized = stageWith({ heads: 4, training: false }).compute({ net: stateOf(unet3d), image: volume }, tick(1));
      const native = stageWith({ heads: 4, training: false, resize: 'none' }).compute({ net: stateOf(unet3d), image: volume }, tick(1));
      expect(native.logits1.shape).toEqual([2, 4, 8, 4, 3]);
      expect(native.logits3.shape).toEqual([2, 1, 2, 1, 3]);
      expect(resized.logits3.shape).toEqual([2, 8, 16, 8, 3]);
      const expected = resizeLinear(native.logits2, [8, 16, 8]);
      expect(maxAbsDifference(resized.logits2, expected)).toBeLessThan(1e-5);
      // The coarsest head is 1x2x1: along depth and width every output voxel copies it, along height the first 4 of 16
      // rows copy row 0 and the last 4 row 1 (align_corners=False clamps sources below 0 and above 1).
      const coarse = native.logits3.arraySync() as number[][][][][];
      const fine = resized.logits3.arraySync() as number[][][][][];
      for (const [d, h, w, row] of [[0, 0, 0, 0], [7, 3, 5, 0], [3, 12, 7, 1], [5, 15, 2, 1]]) {
        for (let k = 0; k < 3; k++) expect(fine[1][d][h][w][k]).toBeCloseTo(coarse[1][0][row][0][k], 5);
      }
      expect(resized.meanProb.shape).toEqual([2, 8, 16, 8, 3]);
      expect(native.meanProb.shape).toEqual([2, 8, 16, 8, 3]);
      tf.dispose([expected, ...Object.values(resized), ...Object.values(native)]);
    });

    it('should name a single-head 3D U-Net\'s one head, and reject an input that is neither an image nor a volume', () => {
      expect(() => stageWith({ heads: 2 }).compute({ net: stateOf(plain3d), image: volume }, tick(1))).toThrow(/network "net" \(UNet3D\) has 1 heads \(main\)/);
      const flat = tf.zeros([2, 16, 1]);
      expect(() => stageWith({ heads: 2 }).compute({ net: stateOf(dual3d), image: flat }, tick(1))).toThrow(
        /node "heads": image input has shape \[2,16,1\], expected \[N, H, W, C\] or \[N, D, H, W, C\]/,
      );
      flat.dispose();
    });
  });

  describe('when the head count disagrees with the network', () => {
    it('should name the node, the network and its heads', () => {
      expect(() => stageWith({ heads: 3 }).compute({ net: stateOf(unet), image }, tick(1))).toThrow(
        /node "heads": params.heads is 3 but network "net" \(UNet2D\) has 4 heads \(main, scale2, scale4, scale8\)/,
      );
      expect(() => stageWith({ heads: 2 }).compute({ net: stateOf(plain), image }, tick(1))).toThrow(/has 1 heads \(main\)/);
    });
  });

  describe('when wired in a pipeline', () => {
    const registry = new StageRegistry(builtInStageClasses);
    const definition = (port: string) =>
      pipeline({
        name: 'heads',
        description: 'test',
        data: 'fixtures/brain-mr-2d',
        schedule: { iterations: 1, seed: 0 },
        nodes: {
          train: stage('CsvDataset', { csv: 'train.csv' }),
          batch: stage('Batch', { size: 2 }, { samples: 'train' }),
          net: stage('CctUNet2D', { classes: 5 }),
          heads: stage('ForwardHeads', { heads: 4 }, { net: 'net', image: 'batch.image' }),
          consistency: stage('ConsistencyLoss', {}, { prob: port, target: 'heads.prob' }),
          optimise: stage('Adam', {}, { loss: 'consistency', nets: ['net'] }),
        },
      });

    it('should offer logitsK/probK ports for K below params.heads', () => {
      expect(validatePipeline(definition('heads.prob3'), registry).problems).toEqual([]);
    });

    it('should reject a head port beyond params.heads, listing the ports it has', () => {
      const [problem] = validatePipeline(definition('heads.prob4'), registry).problems;
      expect(problem.kind).toBe('unknown-port');
      expect(problem.message).toContain('logits, prob, meanProb, logits1, prob1, logits2, prob2, logits3, prob3');
    });
  });
});
