import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { unet2dParams, unet2dUnit } from '../../../src/networks/unet2d.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { EmaCopy, UNet2DStage } from '../../../src/stages/networks/index.js';

const read = (v: tf.Variable) => Array.from(v.dataSync());

describe('the EmaCopy stage', () => {
  beforeAll(() => tf.setBackend('cpu'));

  describe('having a tiny UNet2D stage as its source', () => {
    it('should start as an exact copy under its own name and move each trainable variable by the EMA rule after a step', () => {
      const student = instantiateStage(UNet2DStage, { nodeName: 'student', params: { classes: 2, features: [2, 2, 2, 2, 2] } });
      const teacher = instantiateStage(EmaCopy, { nodeName: 'teacher', params: { decay: 0.9, warmUp: false } });
      try {
        const source = student.build();
        const copy = teacher.build({ of: source }).network;
        expect(copy.name).toBe('teacher');
        expect(copy.trainableVariables.map(read)).toEqual(source.network.trainableVariables.map(read));
        const studentVariable = source.network.trainableVariables[0];
        const before = read(copy.trainableVariables[0]);
        studentVariable.assign(tf.add(studentVariable, 1));
        teacher.afterStep({ iteration: 1 });
        const after = read(copy.trainableVariables[0]);
        const moved = read(studentVariable);
        after.forEach((v, i) => expect(v).toBeCloseTo(0.9 * before[i] + 0.1 * moved[i], 6));
      } finally {
        teacher.dispose();
        student.dispose();
      }
    });
  });

  describe('having its params', () => {
    it("should default to decay 0.99 with Tarvainen & Valpola's warm-up min(1 − 1/(t + 1), decay)", () => {
      const teacher = instantiateStage(EmaCopy, { nodeName: 'teacher' });
      expect(teacher.params).toEqual({ decay: 0.99, warmUp: true });
      expect([1, 9, 1000].map((t) => teacher.decayAt(t))).toEqual([0.5, 0.9, 0.99]);
    });

    it('should reject a decay outside [0, 1) naming it', () => {
      expect(() => instantiateStage(EmaCopy, { nodeName: 'teacher', params: { decay: 1 } })).toThrow(/- nodes\.teacher\.params\.decay: /);
    });
  });

  describe('having a source without createLike', () => {
    it('should throw naming both nodes', () => {
      const network = unet2dUnit.create('plain', unet2dParams.parse({ classes: 2, features: [2, 2, 2, 2, 2] }), new SeededRandom(1));
      try {
        const teacher = instantiateStage(EmaCopy, { nodeName: 'teacher' });
        expect(() => teacher.build({ of: { node: 'plain', network } })).toThrow(/node "teacher": network "plain" cannot be copied/);
      } finally {
        network.dispose();
      }
    });
  });
});
