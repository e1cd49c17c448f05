import type * as tf from '@tensorflow/tfjs-core';

/** Exclusive time and calls per kernel name (time spent in kernels a kernel calls is the callee's). */
export interface KernelTimeEntry {
  kernelName: string;
  /** Set when the native backend handed the call to the cpu backend's JavaScript kernel. */
  fellBack: boolean;
  calls: number;
  milliseconds: number;
}

/**
 * A per-kernel time table for the native backend, switched on by MICFLOW_KERNEL_PROFILE=1 (see
 * {@link kernelTimeProfileFromEnvironment}): every kernel function is wrapped to add its exclusive wall time (its own
 * time minus that of the kernels it runs inside it) to its row. Kernels run synchronously on this backend, so wall
 * time is the kernel's time. Meant for finding what a pipeline's step spends its time on; costs ~1 µs per kernel.
 */
export class KernelTimeProfile {
  private readonly rows = new Map<string, KernelTimeEntry>();
  private readonly childTime: number[] = [];

  /** With `byShape`, rows are kernel name and first input's shape; `now` is the clock (milliseconds). */
  constructor(
    private readonly byShape = false,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** `kernelFunc` with its calls timed under `kernelName`. */
  wrap(kernelName: string, kernelFunc: tf.KernelFunc, describe: (result: unknown) => boolean = () => false): tf.KernelFunc {
    return (args) => {
      this.childTime.push(0);
      const start = this.now();
      const result = kernelFunc(args);
      const total = this.now() - start;
      const children = this.childTime.pop() ?? 0;
      if (this.childTime.length > 0) this.childTime[this.childTime.length - 1] += total;
      const fellBack = describe(result);
      const first = this.byShape ? Object.values(args.inputs)[0] : undefined;
      const name = first ? `${kernelName} [${first.shape.join(',')}]` : kernelName;
      const key = `${name}${fellBack ? ' (cpu)' : ''}`;
      const row = this.rows.get(key) ?? { kernelName: name, fellBack, calls: 0, milliseconds: 0 };
      row.calls += 1;
      row.milliseconds += total - children;
      this.rows.set(key, row);
      return result;
    };
  }

  /** Rows by decreasing time. */
  entries(): KernelTimeEntry[] {
    return [...this.rows.values()].sort((a, b) => b.milliseconds - a.milliseconds);
  }

  /** The table as text: milliseconds, share of the total, calls, kernel (and "(cpu)" for JavaScript fallbacks). */
  format(limit = 40): string {
    const entries = this.entries();
    const total = entries.reduce((sum, e) => sum + e.milliseconds, 0);
    const lines = [`kernel time on native: ${total.toFixed(1)} ms in ${entries.reduce((s, e) => s + e.calls, 0)} calls`];
    for (const e of entries.slice(0, limit)) {
      const share = total > 0 ? (100 * e.milliseconds) / total : 0;
      lines.push(`${e.milliseconds.toFixed(1).padStart(10)} ms ${share.toFixed(1).padStart(5)} % ${String(e.calls).padStart(8)}  ${e.kernelName}${e.fellBack ? ' (cpu)' : ''}`);
    }
    return lines.join('\n');
  }
}

/**
 * A profile printed to stderr when the process exits, if MICFLOW_KERNEL_PROFILE is 1 (rows per kernel) or `shapes`
 * (rows per kernel and first input shape); otherwise undefined. MICFLOW_KERNEL_PROFILE_ROWS sets how many rows print (40).
 */
export function kernelTimeProfileFromEnvironment(env: NodeJS.ProcessEnv = process.env): KernelTimeProfile | undefined {
  const mode = env.MICFLOW_KERNEL_PROFILE;
  if (mode !== '1' && mode !== 'shapes') return undefined;
  const profile = new KernelTimeProfile(mode === 'shapes');
  const rows = Number(env.MICFLOW_KERNEL_PROFILE_ROWS ?? 40);
  process.once('exit', () => process.stderr.write(`${profile.format(Number.isInteger(rows) && rows > 0 ? rows : 40)}\n`));
  return profile;
}
