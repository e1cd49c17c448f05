import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import '../../../src/runtime/register-gradients.js';
import { nativeBackendCandidate } from '../../../src/runtime/backend-candidates.js';
import { loadNativeAddon, NATIVE_ADDON_INTERFACE } from '../../../src/runtime/native/native-addon.js';
import { NATIVE_BACKEND_NAME, nativeKernelNames } from '../../../src/runtime/native/native-backend.js';

const addon = loadNativeAddon();
const requireNative = process.env.MICFLOW_REQUIRE_NATIVE === '1';

describe('native backend', () => {
  describe('having no addon at the configured path', () => {
    it('when the native candidate loads should be unavailable with a reason saying how to get oneDNN', async () => {
      const saved = process.env.MICFLOW_NATIVE_ADDON;
      process.env.MICFLOW_NATIVE_ADDON = '/nonexistent/micflow_native.node';
      try {
        const result = await nativeBackendCandidate.load(tf);
        expect(result.available).toBe(false);
        expect(!result.available && result.reason).toMatch(/not built .*libdnnl-dev.*npm run build:native/);
      } finally {
        if (saved === undefined) delete process.env.MICFLOW_NATIVE_ADDON;
        else process.env.MICFLOW_NATIVE_ADDON = saved;
      }
    });
  });

  describe('having an addon built from another version of native/micflow_native.cc', () => {
    it('when it loads should be refused with a reason saying to rebuild it', () => {
      const dir = mkdtempSync(join(tmpdir(), 'micflow-addon-'));
      // A stand-in module with the old interface (require loads .cjs files as well as .node ones).
      const stale = join(dir, 'stale-addon.cjs');
      writeFileSync(stale, 'module.exports = { onednnVersion: () => "2.6.3" };\n');
      try {
        const result = loadNativeAddon({ MICFLOW_NATIVE_ADDON: stale });
        expect(result.loaded).toBe(false);
        expect(!result.loaded && result.reason).toBe(
          `addon ${stale} has interface 1, this micflow needs ${NATIVE_ADDON_INTERFACE} (built from another native/micflow_native.cc; run npm run build:native)`,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe.skipIf(!addon.loaded && !requireNative)('having the addon built', () => {
    const activate = async () => {
      const result = await nativeBackendCandidate.load(tf);
      expect(result).toEqual({ available: true, backendName: NATIVE_BACKEND_NAME });
      await tf.setBackend(NATIVE_BACKEND_NAME);
      await tf.ready();
    };

    it('when loaded should report oneDNN 2.x and at least one thread', () => {
      if (!addon.loaded) throw new Error(addon.reason);
      expect(addon.addon.onednnVersion()).toMatch(/^2\.\d+\.\d+$/);
      expect(addon.addon.threads()).toBeGreaterThanOrEqual(1);
    });

    it('when registered should have every cpu kernel, and its own for the hot ones', async () => {
      await activate();
      const missing = tf.getKernelsForBackend('cpu').filter((k) => !tf.getKernel(k.kernelName, NATIVE_BACKEND_NAME));
      expect(missing.map((k) => k.kernelName)).toEqual([]);
      for (const name of nativeKernelNames) {
        expect(tf.getKernel(name, NATIVE_BACKEND_NAME)?.kernelFunc).not.toBe(tf.getKernel(name, 'cpu')?.kernelFunc);
      }
    });

    it('when values read from a tensor outlive it should not change as its pooled buffer is reused', async () => {
      await activate();
      const x = tf.tensor1d([1, 2, 3, 4]);
      const a = tf.add(x, 1);
      const read = a.dataSync();
      a.dispose();
      const b = tf.add(x, 10); // same length: takes a's buffer from the pool
      expect(Array.from(read)).toEqual([2, 3, 4, 5]);
      expect(Array.from(b.dataSync())).toEqual([11, 12, 13, 14]);
      tf.dispose([x, b]);
    });

    it('when an input needs a kernel variant the addon lacks should fall back to the cpu kernel', async () => {
      await activate();
      const ints = tf.add(tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3, 4], 'int32'));
      expect(ints.dtype).toBe('int32');
      expect(Array.from(ints.dataSync())).toEqual([4, 6]);
      const nonContiguous = tf.sum(tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]), [0, 2]);
      expect(Array.from(nonContiguous.dataSync())).toEqual([1 + 2 + 5 + 6, 3 + 4 + 7 + 8]);
      tf.dispose([ints, nonContiguous]);
    });

    it('when training steps of convolutions, batch norm style ops and Adam run should leave the live tensor count flat', async () => {
      await activate();
      const kernel = tf.variable(tf.randomNormal([3, 3, 2, 4], 0, 0.3, 'float32', 1));
      const x = tf.randomNormal([2, 9, 7, 2], 0, 1, 'float32', 2);
      const optimizer = tf.train.adam(1e-2);
      const step = () => {
        const loss = optimizer.minimize(() => {
          const y = tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'same');
          const centered = tf.sub(y, tf.mean(y, [0, 1, 2]));
          return tf.mean(tf.square(tf.leakyRelu(centered, 0.01))) as tf.Scalar;
        }, true);
        const value = loss?.dataSync()[0] ?? NaN;
        loss?.dispose();
        return value;
      };
      const first = step();
      const live = tf.memory().numTensors;
      let last = first;
      for (let i = 0; i < 20; i++) last = step();
      expect(tf.memory().numTensors).toBe(live);
      expect(last).toBeLessThan(first);
      optimizer.dispose();
      tf.dispose([kernel, x]);
    });
  });
});
