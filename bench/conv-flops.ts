/**
 * Pure arithmetic of `npm run bench`'s FLOP columns (no tensors): the convolutions of one PyMIC U-Net training step
 * and the machine's nominal FP32 peak. Unit-tested in test/bench/conv-flops.test.ts (a hand count on a tiny UNet2D,
 * and the layer list checked against a real UNet2D's and UNet3D's kernel variables).
 */

/** One stride-1 'same' convolution of the network: its variable path, kernel taps, channels and output size. */
export interface ConvLayer {
  /** The layer's variable path inside the network, as NetworkParameters names it: 'enc0/conv1', 'dec1/up', 'out'. */
  name: string;
  /** Spatial kernel size, e.g. [3, 3] or [1, 1, 1]. */
  kernel: number[];
  inChannels: number;
  outChannels: number;
  /** Spatial size of the output (= of the input: stride 1, 'same' padding). */
  outSpatial: number[];
}

/** What {@link unetConvLayers} needs: PyMIC's UNet2D / UNet3D with bilinear (1x1 conv + interpolation) up-sampling. */
export interface UNetShape {
  dims: 2 | 3;
  /** Edge length of the square / cubic input. */
  size: number;
  features: readonly number[];
  classes: number;
  inChannels?: number;
}

/**
 * The convolutions of PyMIC's U-Net (src/networks/unet2d.ts, unet3d.ts with upMode 'bilinear'/'trilinear', no deep
 * supervision) in the order the network creates their variables: per encoder level l (size / 2^l) `enc{l}/conv1`
 * (3x3, previous level's channels in) and `enc{l}/conv2`; per decoder level k = 1 (coarsest) … levels − 1, decoding to
 * level l = levels − 1 − k, `dec{k}/up` (1x1 from features[l + 1] to features[l], applied at level l + 1's size, before
 * the interpolation), `dec{k}/conv1` (3x3, 2 features[l] in: concat [skip, up]) and `dec{k}/conv2`, at level l's size;
 * then `out` (1x1 to the classes, full size).
 */
export function unetConvLayers(shape: UNetShape): ConvLayer[] {
  const { dims, size, features: f, classes } = shape;
  const inChannels = shape.inChannels ?? 1;
  const spatial = (level: number) => new Array<number>(dims).fill(Math.floor(size / 2 ** level));
  const three = new Array<number>(dims).fill(3);
  const one = new Array<number>(dims).fill(1);
  const layers: ConvLayer[] = [];
  f.forEach((out, l) => {
    layers.push({ name: `enc${l}/conv1`, kernel: three, inChannels: l === 0 ? inChannels : f[l - 1], outChannels: out, outSpatial: spatial(l) });
    layers.push({ name: `enc${l}/conv2`, kernel: three, inChannels: out, outChannels: out, outSpatial: spatial(l) });
  });
  for (let l = f.length - 2, k = 1; l >= 0; l--, k++) {
    layers.push({ name: `dec${k}/up`, kernel: one, inChannels: f[l + 1], outChannels: f[l], outSpatial: spatial(l + 1) });
    layers.push({ name: `dec${k}/conv1`, kernel: three, inChannels: 2 * f[l], outChannels: f[l], outSpatial: spatial(l) });
    layers.push({ name: `dec${k}/conv2`, kernel: three, inChannels: f[l], outChannels: f[l], outSpatial: spatial(l) });
  }
  layers.push({ name: 'out', kernel: one, inChannels: f[0], outChannels: classes, outSpatial: spatial(0) });
  return layers;
}

const product = (values: readonly number[]) => values.reduce((a, b) => a * b, 1);

/** Forward FLOPs of one convolution on a batch: 2 · N · Cout · spatial_out · Cin · taps (a multiply and an add each). */
export function convForwardFlops(layer: ConvLayer, batch: number): number {
  return 2 * batch * layer.outChannels * product(layer.outSpatial) * layer.inChannels * product(layer.kernel);
}

export interface StepConvFlops {
  forward: number;
  /** Gradient with respect to each conv's input: as many FLOPs as its forward (counted for the first conv too). */
  backwardData: number;
  /** Gradient with respect to each conv's kernel: as many FLOPs as its forward. */
  backwardWeights: number;
  /** forward + backwardData + backwardWeights = 3 × forward. */
  total: number;
}

/** The convolution FLOPs of one training step over `layers` on a batch (bias additions and everything else left out). */
export function trainingStepConvFlops(layers: readonly ConvLayer[], batch: number): StepConvFlops {
  const forward = layers.reduce((sum, layer) => sum + convForwardFlops(layer, batch), 0);
  return { forward, backwardData: forward, backwardWeights: forward, total: 3 * forward };
}

/**
 * Checks a layer list against a network's kernel variables (`${network}/${path}/kernel`, shape [...kernel, in, out]):
 * every kernel must be a listed layer with that shape, and every listed layer a kernel. Returns the problems (none
 * when the list is the network's), so that the bench's FLOP count is the count of the network it timed.
 */
export function checkLayersAgainstKernels(layers: readonly ConvLayer[], kernels: ReadonlyArray<{ name: string; shape: readonly number[] }>): string[] {
  const problems: string[] = [];
  const byPath = new Map(kernels.map((k) => [k.name.replace(/^[^/]+\//, '').replace(/\/kernel$/, ''), k.shape]));
  for (const layer of layers) {
    const shape = byPath.get(layer.name);
    const expected = [...layer.kernel, layer.inChannels, layer.outChannels];
    if (!shape) problems.push(`no kernel variable for conv ${layer.name}`);
    else if (shape.join('x') !== expected.join('x')) problems.push(`conv ${layer.name}: kernel [${shape}] but counted as [${expected}]`);
    byPath.delete(layer.name);
  }
  for (const path of byPath.keys()) problems.push(`kernel ${path} is not counted`);
  return problems;
}

/** What the FP32 peak is computed from: the SIMD width, the clock and the threads. */
export interface PeakAssumptions {
  /** 'AVX-512 FMA', 'AVX2 FMA', or undefined when neither is in the CPU flags. */
  simd: string | undefined;
  /** FP32 FLOPs per cycle and core: 2 FMA units × floats per vector × 2 (multiply and add). */
  flopsPerCycle: number | undefined;
  /** The clock /proc/cpuinfo reports ("cpu MHz" of the first processor), the nominal or current clock, not a turbo. */
  mhz: number | undefined;
  threads: number;
  /** threads × MHz × 1e6 × FLOPs per cycle, in FLOP/s; undefined when the flags or the clock are unknown. */
  peakFlops: number | undefined;
}

/**
 * The nominal FP32 peak from /proc/cpuinfo's text: AVX-512 (avx512f) counts 2 FMA units × 16 floats × 2 = 64 FLOP per
 * cycle and core, AVX2 with FMA (avx2 and fma) 2 × 8 × 2 = 32; the clock is the first "cpu MHz"; cores = the threads
 * the bench runs with. (Some AVX-512 parts have one 512-bit FMA unit, and clocks drop under AVX-512 load, so the real
 * peak can be lower; the share of peak is then an underestimate.)
 */
export function peakFromCpuInfo(cpuinfo: string, threads: number): PeakAssumptions {
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '').split(/\s+/));
  const mhzText = /^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo)?.[1];
  const mhz = mhzText === undefined ? undefined : Number(mhzText);
  const [simd, flopsPerCycle] = flags.has('avx512f') ? ['AVX-512 FMA', 64] : flags.has('avx2') && flags.has('fma') ? ['AVX2 FMA', 32] : [undefined, undefined];
  const peakFlops = flopsPerCycle !== undefined && mhz !== undefined && mhz > 0 ? threads * mhz * 1e6 * flopsPerCycle : undefined;
  return { simd, flopsPerCycle, mhz, threads, peakFlops };
}

/** 'peak 333 GFLOP/s FP32 = 2 threads × 2600 MHz (reported clock) × 64 FLOP/cycle (AVX-512 FMA: 2 FMA units × 16 floats × 2)' */
export function describePeak(peak: PeakAssumptions): string {
  if (peak.peakFlops === undefined) {
    return `peak unknown (${peak.simd ? '' : 'no AVX2+FMA or AVX-512 in the CPU flags'}${peak.mhz === undefined ? ', no "cpu MHz" in /proc/cpuinfo' : ''}); no share of peak`;
  }
  const floats = peak.flopsPerCycle! / 4;
  return (
    `peak ${(peak.peakFlops / 1e9).toFixed(0)} GFLOP/s FP32 = ${peak.threads} thread${peak.threads === 1 ? '' : 's'} (one core each) × ` +
    `${peak.mhz!.toFixed(0)} MHz (the clock /proc/cpuinfo reports, not a turbo or AVX clock) × ${peak.flopsPerCycle} FLOP/cycle ` +
    `(${peak.simd}: 2 FMA units × ${floats} floats × 2)`
  );
}

/** '41.2 GFLOP/s, 12% of peak' from FLOPs and seconds; without a peak the share is left out. */
export function formatThroughput(flops: number | undefined, ms: number | undefined, peakFlops: number | undefined): string {
  if (flops === undefined || ms === undefined || !Number.isFinite(ms) || ms <= 0) return '-';
  const rate = flops / (ms / 1000);
  const share = peakFlops ? `, ${((100 * rate) / peakFlops).toFixed(rate / peakFlops < 0.1 ? 1 : 0)}% of peak` : '';
  return `${(rate / 1e9).toFixed(1)} GFLOP/s${share}`;
}
