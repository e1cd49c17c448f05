import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import definition from '../../pipelines/mcnet.js';
import type { MultiHeadSegmentationNetwork } from '../../src/networks/segmentation-network.js';
import { preparePipelineRun } from '../../src/run/pipeline-run.js';
import { expectSharedSslSetup, runSslTicks, tinySslRun } from './ssl-test-helpers.js';

const ticks = 3;
const pairs = ['AB', 'AC', 'BA', 'BC', 'CA', 'CB'];
const port = { A: 'predU.prob', B: 'predU.prob1', C: 'predU.prob2' } as const;

describe('the mcnet pipeline', () => {
  describe('having its default definition', () => {
    it('should validate, with three decoders of different upsampling and every ordered pair in the mutual consistency', () => {
      const { validated } = preparePipelineRun(definition);
      expect(validated.nodes.get('net')!.params).toMatchObject({ upModes: ['transposed', 'nearest', 'bilinear'], outputMode: 'first' });
      for (const letter of ['A', 'B', 'C'] as const) {
        expect(validated.nodes.get(`sharp${letter}`)!.params).toEqual({ temperature: 0.1, mode: 'elementwise', stopGradient: false });
        expect(definition.nodes[`sharp${letter}`].inputs).toEqual({ prob: port[letter] });
      }
      for (const [x, y] of pairs.map((p) => p.split('') as Array<keyof typeof port>)) {
        expect(definition.nodes[`mutual${x}${y}`].inputs).toEqual({ prob: port[x], target: `sharp${y}.sharpened` });
      }
      expect(definition.nodes.mutual.inputs).toEqual({ terms: pairs.map((p) => `mutual${p}`) });
    });

    it('should share data, streams, network size, optimiser, validation and test with mean-teacher', () => {
      expectSharedSslSetup(definition, 'net');
    });
  });

  describe('when run for a few ticks on tiny crops', () => {
    it('should report finite terms, mutual = Σ of the 6 pairs, loss = Σ Dice + CE + rampup × mutual, with decoders that differ, leaking nothing', async () => {
      const events = await runSslTicks(
        definition,
        tinySslRun(['net'], ticks, ['rampup']),
        ticks,
        (t) => t.diceA + t.ceA + t.diceB + t.ceB + t.diceC + t.ceC + t.rampup * t.mutual,
        (compiled, event) => {
          const t = event.terms;
          expect(t.mutual).toBeCloseTo(pairs.reduce((s, p) => s + t[`mutual${p}`], 0), 6);
          // The three decoders give different predictions of one image.
          const net = compiled.networks.get('net')!.network as MultiHeadSegmentationNetwork;
          const spreads = tf.tidy(() => {
            const heads = net.applyHeads(tf.randomNormal([1, 32, 32, 1], 0, 1, 'float32', 3) as tf.Tensor4D, { training: false }).map((h) => tf.softmax(h));
            return [[0, 1], [0, 2], [1, 2]].map(([a, b]) => tf.max(tf.abs(tf.sub(heads[a], heads[b]))).dataSync()[0]);
          });
          for (const spread of spreads) expect(spread).toBeGreaterThan(1e-3);
        },
      );
      expect(events.every((e) => pairs.every((p) => e.terms[`mutual${p}`] > 0))).toBe(true);
    });
  });
});
