import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { softmaxChannelsLastInPlace } from '../../src/images/softmax-channels-last.js';
import { pseudoRandomValues } from '../inference/inference-test-networks.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('softmaxChannelsLastInPlace', () => {
  it('having logits [0, ln 3] should give [1/4, 3/4]', () => {
    const p = softmaxChannelsLastInPlace(Float32Array.from([0, Math.log(3)]), 2);
    expect(p[0]).toBeCloseTo(0.25, 6);
    expect(p[1]).toBeCloseTo(0.75, 6);
  });
  it('having large logits, should not overflow', () => {
    const p = softmaxChannelsLastInPlace(Float32Array.from([1000, 1000, 1000 - Math.log(2)]), 3);
    [0.4, 0.4, 0.2].forEach((v, k) => expect(p[k]).toBeCloseTo(v, 4));
  });
  it('having random 5-class logits, should equal tf.softmax over the last axis', () => {
    const logits = pseudoRandomValues(60 * 5, 3).map((v) => 8 * v);
    const expected = tf.tidy(() => tf.softmax(tf.tensor2d(logits, [60, 5])).dataSync());
    const actual = softmaxChannelsLastInPlace(Float32Array.from(logits), 5);
    for (let i = 0; i < actual.length; i++) expect(actual[i]).toBeCloseTo(expected[i], 6);
  });
});
