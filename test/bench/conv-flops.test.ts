import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkLayersAgainstKernels,
  describePeak,
  formatThroughput,
  peakFromCpuInfo,
  trainingStepConvFlops,
  unetConvLayers,
} from '../../bench/conv-flops.js';
import { UNet2D, unet2dParams } from '../../src/networks/unet2d.js';
import { UNet3D, unet3dParams } from '../../src/networks/unet3d.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';

const kernelsOf = (variables: readonly tf.Variable[]) => variables.filter((v) => v.name.endsWith('/kernel')).map((v) => ({ name: v.name, shape: v.shape }));

describe('conv FLOPs of a U-Net training step', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('having a tiny UNet2D (2-4-8-16, 1x16², 2 classes, batch 1) should count the forward convs as by hand, and 3x for the step', () => {
    const conv = (cout: number, pixels: number, cin: number, taps: number) => 2 * cout * pixels * cin * taps;
    // Encoder: level l at 16/2^l, 3x3 convs.
    const encoder = conv(2, 256, 1, 9) + conv(2, 256, 2, 9) + conv(4, 64, 2, 9) + conv(4, 64, 4, 9) + conv(8, 16, 4, 9) + conv(8, 16, 8, 9) + conv(16, 4, 8, 9) + conv(16, 4, 16, 9);
    // Decoder: a 1x1 conv at the coarser size, then two 3x3 convs on [skip, up] at the finer one.
    const decoder =
      conv(8, 4, 16, 1) + conv(8, 16, 16, 9) + conv(8, 16, 8, 9) +
      conv(4, 16, 8, 1) + conv(4, 64, 8, 9) + conv(4, 64, 4, 9) +
      conv(2, 64, 4, 1) + conv(2, 256, 4, 9) + conv(2, 256, 2, 9);
    const out = conv(2, 256, 2, 1);
    expect(encoder + decoder + out).toBe(281_600);
    const flops = trainingStepConvFlops(unetConvLayers({ dims: 2, size: 16, features: [2, 4, 8, 16], classes: 2 }), 1);
    expect(flops.forward).toBe(281_600);
    expect(flops.total).toBe(3 * 281_600);
    expect(trainingStepConvFlops(unetConvLayers({ dims: 2, size: 16, features: [2, 4, 8, 16], classes: 2 }), 3).forward).toBe(3 * 281_600);
  });

  it('should list exactly the kernels of a real UNet2D and UNet3D (5 levels), with their shapes', () => {
    const features = [2, 3, 4, 5, 6];
    const net2d = new UNet2D({ ...unet2dParams.parse({ inChannels: 1, classes: 3, features }), random: new SeededRandom(1) });
    const net3d = new UNet3D({ ...unet3dParams.parse({ inChannels: 1, classes: 3, features }), random: new SeededRandom(1) });
    try {
      expect(checkLayersAgainstKernels(unetConvLayers({ dims: 2, size: 32, features, classes: 3 }), kernelsOf(net2d.trainableVariables))).toEqual([]);
      expect(checkLayersAgainstKernels(unetConvLayers({ dims: 3, size: 32, features, classes: 3 }), kernelsOf(net3d.trainableVariables))).toEqual([]);
      // And it notices a list that is not the network's.
      const wrong = checkLayersAgainstKernels(unetConvLayers({ dims: 2, size: 32, features, classes: 2 }), kernelsOf(net2d.trainableVariables));
      expect(wrong).toEqual(['conv out: kernel [1,1,2,3] but counted as [1,1,2,2]']);
      expect(checkLayersAgainstKernels(unetConvLayers({ dims: 2, size: 32, features: features.slice(0, 4), classes: 3 }), kernelsOf(net2d.trainableVariables))).toContain('kernel enc4/conv1 is not counted');
    } finally {
      net2d.dispose();
      net3d.dispose();
    }
  });
});

describe('the FP32 peak from /proc/cpuinfo', () => {
  const cpuinfo = (flags: string, mhz = '2599.998') => `processor\t: 0\nmodel name\t: Some CPU\ncpu MHz\t\t: ${mhz}\nflags\t\t: fpu sse2 ${flags} lm\n\nprocessor\t: 1\ncpu MHz\t\t: 1200.000\n`;

  it('having AVX-512 should count 64 FLOP per cycle and core at the first reported clock', () => {
    const peak = peakFromCpuInfo(cpuinfo('fma avx avx2 avx512f avx512dq'), 2);
    expect(peak).toMatchObject({ simd: 'AVX-512 FMA', flopsPerCycle: 64, mhz: 2599.998, threads: 2 });
    expect(peak.peakFlops).toBeCloseTo(2 * 2599.998e6 * 64, 0);
    expect(describePeak(peak)).toBe(
      'peak 333 GFLOP/s FP32 = 2 threads (one core each) × 2600 MHz (the clock /proc/cpuinfo reports, not a turbo or AVX clock) × 64 FLOP/cycle (AVX-512 FMA: 2 FMA units × 16 floats × 2)',
    );
  });

  it('having AVX2 and FMA only should count 32, and without FMA no peak', () => {
    expect(peakFromCpuInfo(cpuinfo('fma avx avx2'), 1)).toMatchObject({ simd: 'AVX2 FMA', flopsPerCycle: 32, peakFlops: 2599.998e6 * 32 });
    const none = peakFromCpuInfo(cpuinfo('avx avx2'), 1);
    expect(none.peakFlops).toBeUndefined();
    expect(describePeak(none)).toContain('no share of peak');
  });

  it('should turn FLOPs and a time into GFLOP/s and a share of the peak', () => {
    expect(formatThroughput(2e9, 100, 100e9)).toBe('20.0 GFLOP/s, 20% of peak');
    expect(formatThroughput(2e9, 1000, 100e9)).toBe('2.0 GFLOP/s, 2.0% of peak');
    expect(formatThroughput(2e9, 1000, undefined)).toBe('2.0 GFLOP/s');
    expect(formatThroughput(undefined, 1000, 1e9)).toBe('-');
  });
});
