import type * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { KernelTimeProfile } from '../../../src/runtime/native/kernel-time-profile.js';

describe('KernelTimeProfile', () => {
  describe('having a kernel that runs another kernel inside it', () => {
    it('when both are timed should give each its exclusive time, and mark cpu fallbacks', () => {
      let clock = 0;
      const profile = new KernelTimeProfile(false, () => clock);
      const args = { inputs: {}, backend: {} as never, attrs: {} } as unknown as Parameters<tf.KernelFunc>[0];
      const inner = profile.wrap('Inner', () => ((clock += 3), undefined as never));
      const outer = profile.wrap('Outer', (a) => {
        clock += 2;
        inner(a);
        clock += 5;
        return undefined as never;
      });
      const fallback = profile.wrap('Slow', () => ((clock += 1), undefined as never), () => true);
      outer(args);
      outer(args);
      fallback(args);
      expect(profile.entries()).toEqual([
        { kernelName: 'Outer', fellBack: false, calls: 2, milliseconds: 14 },
        { kernelName: 'Inner', fellBack: false, calls: 2, milliseconds: 6 },
        { kernelName: 'Slow', fellBack: true, calls: 1, milliseconds: 1 },
      ]);
      expect(profile.format()).toMatch(/^kernel time on native: 21\.0 ms in 5 calls\n +14\.0 ms +66\.7 % +2 +Outer\n[\s\S]*Slow \(cpu\)$/);
    });
  });

  describe('having rows by shape', () => {
    it("when kernels see inputs of two shapes should keep a row per kernel and first input's shape", () => {
      let clock = 0;
      const profile = new KernelTimeProfile(true, () => clock);
      const kernel = profile.wrap('Add', () => ((clock += 1), undefined as never));
      const call = (shape: number[]) => kernel({ inputs: { a: { shape } }, backend: {}, attrs: {} } as unknown as Parameters<tf.KernelFunc>[0]);
      call([2, 3]);
      call([2, 3]);
      call([4]);
      expect(profile.entries().map((e) => [e.kernelName, e.calls])).toEqual([['Add [2,3]', 2], ['Add [4]', 1]]);
    });
  });
});
