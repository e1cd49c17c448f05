import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import type { BackendCandidate } from '../../src/runtime/backend-candidates.js';
import {
  builtInBackendCandidates,
  cpuBackendCandidate,
  tensorflowBackendCandidate,
  wasmBackendCandidate,
} from '../../src/runtime/backend-candidates.js';
import { selectBackend } from '../../src/runtime/backend-selection.js';
import { TensorRuntime } from '../../src/runtime/tensor-runtime.js';
import { MicflowError } from '../../src/errors/micflow-error.js';

const missing = (name: string, priority: number, reason: string): BackendCandidate => ({
  name,
  priority,
  load: async () => ({ available: false, reason }),
});
const cpu: BackendCandidate = { name: 'cpu', priority: 40, load: async () => ({ available: true, backendName: 'cpu' }) };
const throwing: BackendCandidate = {
  name: 'broken',
  priority: 5,
  load: async () => {
    throw new Error('addon crashed');
  },
};

describe('selectBackend', () => {
  describe('having candidates before cpu that cannot load', () => {
    it('should fall back to the first that loads and say in one line why the others were passed over', async () => {
      const selection = await selectBackend(tf, [cpu, missing('tensorflow', 10, '@tensorflow/tfjs-node not installed'), throwing], undefined);
      expect(selection.name).toBe('cpu');
      expect(tf.getBackend()).toBe('cpu');
      expect(selection.reason).toBe('backend cpu (automatic choice; broken: addon crashed; tensorflow: @tensorflow/tfjs-node not installed)');
      expect(selection.reason).not.toContain('\n');
    });
  });

  describe('when a backend is requested by name', () => {
    it('should use it and say it was requested', async () => {
      const selection = await selectBackend(tf, [missing('tensorflow', 10, 'x'), cpu], 'cpu');
      expect(selection.reason).toBe('backend cpu (requested by --backend)');
    });

    it('should refuse an unknown name, listing the known ones', async () => {
      await expect(selectBackend(tf, [cpu], 'gpu')).rejects.toThrow('--backend: unknown backend "gpu"; known backends: cpu');
    });

    it('should refuse an unavailable backend with its reason, without falling back', async () => {
      const error = await selectBackend(tf, [missing('tensorflow', 10, 'not installed'), cpu], 'tensorflow', 'MICFLOW_BACKEND').catch((e) => e);
      expect(error).toBeInstanceOf(MicflowError);
      expect((error as MicflowError).kind).toBe('backend-unavailable');
      expect((error as Error).message).toBe('MICFLOW_BACKEND: backend "tensorflow" is not available here: not installed');
    });
  });

  describe('when nothing loads', () => {
    it('should throw listing every reason', async () => {
      await expect(selectBackend(tf, [missing('a', 1, 'no a'), missing('b', 2, 'no b')], undefined)).rejects.toThrow(
        'no tensor backend could be loaded: a: no a; b: no b',
      );
    });
  });
});

describe('TensorRuntime', () => {
  describe('having the tensorflow, wasm and cpu candidates on a machine without tfjs-node', () => {
    it('should choose wasm automatically and name why tensorflow was passed over', async () => {
      const runtime = await TensorRuntime.create({ env: {}, candidates: [tensorflowBackendCandidate, wasmBackendCandidate, cpuBackendCandidate] });
      expect(runtime.backendName).toBe('wasm');
      expect(runtime.selection.reason).toMatch(/^backend wasm \(automatic choice; tensorflow: @tensorflow\/tfjs-node-gpu not installed, @tensorflow\/tfjs-node not installed\)$/);
    });
  });

  describe('when MICFLOW_BACKEND names a backend', () => {
    it('should use it, and --backend should win over it', async () => {
      expect((await TensorRuntime.create({ env: { MICFLOW_BACKEND: 'cpu' } })).selection.reason).toBe('backend cpu (requested by MICFLOW_BACKEND)');
      expect((await TensorRuntime.create({ env: { MICFLOW_BACKEND: 'cpu' }, backend: 'wasm' })).backendName).toBe('wasm');
    });
  });

  describe('when tensors are created and disposed', () => {
    it('should report live tensors and bytes', async () => {
      const runtime = await TensorRuntime.create({ backend: 'cpu', candidates: builtInBackendCandidates });
      const before = runtime.liveTensors();
      const t = tf.zeros([10, 10]);
      expect(runtime.liveTensors().tensors).toBe(before.tensors + 1);
      expect(runtime.liveTensors().bytes).toBe(before.bytes + 400);
      t.dispose();
      expect(runtime.liveTensors()).toEqual(before);
    });
  });
});
