import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import type { StageClass } from '../../../src/graph/stage.js';
import { attentionUNet2DUnit } from '../../../src/networks/attention-unet2d.js';
import { canetUnit } from '../../../src/networks/canet.js';
import { cctUNet2DUnit } from '../../../src/networks/cct-unet2d.js';
import { coplenetUnit } from '../../../src/networks/coplenet.js';
import { dualBranchUNet2DUnit } from '../../../src/networks/dual-branch-unet2d.js';
import { dualBranchUNet3DUnit } from '../../../src/networks/dual-branch-unet3d.js';
import { multiDecoderUNet2DUnit } from '../../../src/networks/multi-decoder-unet2d.js';
import { nestedUNet2DUnit } from '../../../src/networks/nested-unet2d.js';
import type { NetworkUnit } from '../../../src/networks/network-unit.js';
import type { SegmentationNetwork } from '../../../src/networks/segmentation-network.js';
import { unet2dScSEUnit } from '../../../src/networks/unet2d-scse.js';
import { unet2dUnit } from '../../../src/networks/unet2d.js';
import { unet2d5Unit } from '../../../src/networks/unet2d5.js';
import { unet3dScSEUnit } from '../../../src/networks/unet3d-scse.js';
import { unet3dUnit } from '../../../src/networks/unet3d.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { stageFamilies } from '../../../src/stages/built-in-stages.js';
import {
  AttentionUNet2DStage,
  CANetStage,
  CctUNet2DStage,
  COPLENetStage,
  DualBranchUNet2DStage,
  DualBranchUNet3DStage,
  MultiDecoderUNet2DStage,
  NestedUNet2DStage,
  UNet2D5Stage,
  UNet2DScSEStage,
  UNet2DStage,
  UNet3DScSEStage,
  UNet3DStage,
} from '../../../src/stages/networks/index.js';
import { networkOutputs } from '../../../src/stages/networks/network-stage.js';

/** What the tests read of a unit whatever its params: create takes its schema's output. */
interface AnyNetworkUnit extends Omit<NetworkUnit<unknown>, 'paramsSchema' | 'create'> {
  readonly paramsSchema: z.ZodType;
  create(name: string, params: never, random: SeededRandom): SegmentationNetwork;
}

/** Each unit-derived stage, its unit and tiny params (a pipeline's, before the schema) that build a small network of it. */
const derived: Array<[StageClass, AnyNetworkUnit, Record<string, unknown>]> = [
  [AttentionUNet2DStage, attentionUNet2DUnit, { classes: 2, features: [2, 2, 2, 2, 2], dropout: [0, 0, 0, 0, 0] }],
  [CANetStage, canetUnit, { classes: 2, features: [2, 4, 8, 16, 32], channelDropout: 0.2 }],
  [CctUNet2DStage, cctUNet2DUnit, { classes: 2, features: [2, 2, 2, 2, 2], auxiliary: ['dropout', 'vat'], vatIterations: 1 }],
  [COPLENetStage, coplenetUnit, { classes: 3, features: [2, 4, 8, 16, 32], upMode: 'transposed' }],
  [DualBranchUNet2DStage, dualBranchUNet2DUnit, { classes: 2, features: [2, 2, 2, 2, 2], outputMode: 'second' }],
  [DualBranchUNet3DStage, dualBranchUNet3DUnit, { classes: 2, features: [2, 2, 2, 2], dropout: [0, 0, 0, 0.3] }],
  [MultiDecoderUNet2DStage, multiDecoderUNet2DUnit, { classes: 2, features: [2, 2, 2, 2, 2], upModes: ['transposed', 'bilinear'] }],
  [NestedUNet2DStage, nestedUNet2DUnit, { classes: 2, features: [2, 2, 2, 2, 2] }],
  [UNet2D5Stage, unet2d5Unit, { inChannels: 2, classes: 2, features: [2, 2, 2, 2, 2], convDims: [2, 2, 2, 3, 3] }],
  [UNet2DScSEStage, unet2dScSEUnit, { classes: 2, features: [2, 2, 2, 2, 2] }],
  [UNet2DStage, unet2dUnit, { classes: 3, features: [2, 4, 4, 8], dropout: [0, 0, 0.1, 0.2], deepSupervision: true }],
  [UNet3DScSEStage, unet3dScSEUnit, { classes: 2, features: [2, 2, 2, 2, 2], upMode: 'nearest' }],
  [UNet3DStage, unet3dUnit, { classes: 2, features: [2, 2, 2, 2], dropout: [0, 0, 0, 0], upMode: 'transposed' }],
];
const cases = derived.map(([stage, unit, params]) => [unit.className, stage, unit, params] as const);

/** Every variable's values keyed by its name without the network's prefix, trainable ones then state ones. */
function variables(network: SegmentationNetwork): Array<[string, number[]]> {
  return [...network.trainableVariables, ...network.stateVariables].map((v) => [v.name.slice(network.name.length + 1), Array.from(v.dataSync())]);
}

describe('the network stages derived from network units', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it.each(cases)("%s should be a network stage with its unit's name, description, paper and schema and the family's ports", (name, stage, unit) => {
    expect([stage.className, stage.description, stage.reference, stage.paramsSchema]).toEqual([unit.className, unit.description, unit.reference, unit.paramsSchema]);
    expect(stage.kind).toBe('network');
    expect(stage.name).toBe(`${name}Stage`);
    expect(stage.inputs).toEqual({});
    expect(stage.outputs).toBe(networkOutputs);
  });

  it.each(cases)('%s should declare the spatial dimensionality it applies to, as its stage does', (_name, stage, unit, params) => {
    expect(stage.spatialDims).toBe(unit.spatialDims);
    const parsed = unit.paramsSchema.parse(params) as { inChannels?: number };
    const network = unit.create('dims', parsed as never, new SeededRandom(1));
    try {
      const side = 16;
      const shape = [1, ...Array(unit.spatialDims).fill(side), parsed.inChannels ?? 1];
      const logits = tf.tidy(() => network.apply(tf.zeros(shape) as never, { training: false }));
      expect(logits.shape.slice(0, -1)).toEqual(shape.slice(0, -1));
      logits.dispose();
    } finally {
      network.dispose();
    }
  });

  it('should be the networks family with EmaCopy and MultiNet, each registered under its unit name', () => {
    const family = Object.values(stageFamilies.networks);
    expect(family.map((s) => s.className).sort()).toEqual([...derived.map(([, unit]) => unit.className), 'EmaCopy', 'MultiNet'].sort());
    for (const [stage] of derived) expect(family.filter((s) => s.className === stage.className)).toEqual([stage]);
  });

  it.each(cases)(
    '%s built by instantiateStage should hold the variables its unit creates from the same params and seed, and createLike the same again',
    (_name, stage, unit, params) => {
      const seed = new SeededRandom(7);
      const node = instantiateStage(stage, { nodeName: 'staged', params, random: seed }) as unknown as {
        build(): { network: SegmentationNetwork; createLike?: (name: string, random: SeededRandom) => SegmentationNetwork };
        dispose(): void;
      };
      const direct = unit.create('direct', unit.paramsSchema.parse(params) as never, seed.derive('init'));
      try {
        const built = node.build();
        expect(built.network.name).toBe('staged');
        expect(built.network.className).toBe(unit.className);
        const expected = variables(direct);
        expect(expected.length).toBeGreaterThan(0);
        expect(variables(built.network)).toEqual(expected);
        const like = built.createLike!('like', seed.derive('init'));
        try {
          expect(variables(like)).toEqual(expected);
        } finally {
          like.dispose();
        }
      } finally {
        direct.dispose();
        node.dispose();
      }
    },
  );

  it.each(cases)("%s should accept the schema's own defaults and reject a class count of 1, no input channel and unknown keys, naming each", (_name, stage) => {
    expect(stage.paramsSchema.safeParse({ classes: 2 }).success).toBe(true);
    const rejected = (params: unknown) => () => instantiateStage(stage, { nodeName: 'net', params });
    expect(rejected({})).toThrow(/- nodes\.net\.params\.classes: /);
    expect(rejected({ classes: 1 })).toThrow(/- nodes\.net\.params\.classes: /);
    expect(rejected({ classes: 2, inChannels: 0 })).toThrow(/- nodes\.net\.params\.inChannels: /);
    expect(rejected({ classes: 2, featureChannels: [2, 2, 2, 2, 2] })).toThrow(/featureChannels/);
  });

  describe('having UNet2D features of length 3', () => {
    it('should fail validation naming features (and dropout, which no longer has one value per level)', () => {
      const build = () => instantiateStage(UNet2DStage, { nodeName: 'net', params: { classes: 2, features: [2, 4, 8] } });
      expect(build).toThrow(/- nodes\.net\.params\.features: Too small: expected array to have >=4 items/);
      expect(build).toThrow(/- nodes\.net\.params\.dropout: dropout needs one value per level of features/);
    });
  });
});
