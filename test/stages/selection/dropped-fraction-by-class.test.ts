import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { DroppedFractionByClass } from '../../../src/stages/selection/dropped-fraction-by-class.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const classNames = ['background', 'caudate', 'putamen', 'thalamus'];
const stage = instantiateStage(DroppedFractionByClass, { nodeName: 'dropped', params: { classNames } });

describe('DroppedFractionByClass', () => {
  describe('having a mask over two images of three pixels and labels of three of four classes', () => {
    it('should give each class the fraction of its pixels with mask 0, and 0 for the absent class', () => {
      // background: pixels 0, 1, 3 (dropped: 1) → 1/3; caudate: 2, 4 (dropped: 2, 4) → 1; putamen: 5 (kept) → 0; thalamus absent → 0.
      const values = tf.tidy(() => {
        const out = stage.compute({
          mask: tf.tensor2d([[1, 0, 0], [1, 0, 1]]),
          label: tf.tensor2d([[0, 0, 1], [0, 1, 2]], [2, 3], 'int32'),
        });
        return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.dataSync()[0]]));
      });
      expect(Object.keys(values)).toEqual(['overall', ...classNames]);
      expect(values.overall).toBeCloseTo(3 / 6, 6);
      expect(values.background).toBeCloseTo(1 / 3, 6);
      expect(values.caudate).toBe(1);
      expect(values.putamen).toBe(0);
      expect(values.thalamus).toBe(0);
    });
  });

  describe('having its params', () => {
    it('should expose one scalar output port per class name', () => {
      const ports = DroppedFractionByClass.outputsFor({ classNames: ['bg', 'a'] });
      expect(Object.keys(ports)).toEqual(['overall', 'bg', 'a']);
      expect(ports.a.type).toBe('scalar');
    });
    it('when a class name is not an identifier or repeats, should be refused by the schema', () => {
      expect(DroppedFractionByClass.paramsSchema.safeParse({ classNames: ['bg', 'left caudate'] }).success).toBe(false);
      expect(DroppedFractionByClass.paramsSchema.safeParse({ classNames: ['bg', 'bg'] }).success).toBe(false);
      expect(DroppedFractionByClass.paramsSchema.safeParse({ classNames: ['bg', 'overall'] }).success).toBe(false);
    });
  });

  describe('when the mask and the label differ in shape', () => {
    it('should throw naming the node and both shapes', () => {
      expect(() => tf.tidy(() => stage.compute({ mask: tf.zeros([1, 3]), label: tf.zeros([1, 2], 'int32') }))).toThrow(/node "dropped": mask \[1,3\] and label \[1,2\]/);
    });
  });
});
