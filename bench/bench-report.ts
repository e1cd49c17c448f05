/**
 * Pure helpers of `npm run bench` (no tensors, no processes): medians, durations, Markdown tables, the parameter-count
 * check between micflow and PyTorch, and the verdict of the flatness check. Unit-tested in test/bench/bench-report.test.ts.
 */

/** The middle value (the upper middle of an even count), or undefined for no values. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/** '1.23 s' from one second on, '123 ms' below, '-' when there is no value. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

/** A Markdown table with padded columns; missing cells print as empty. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const render = (row: ReadonlyArray<string>) => `| ${widths.map((w, i) => (row[i] ?? '').padEnd(w)).join(' | ')} |`;
  return [render(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(render)].join('\n');
}

/**
 * Whether a micflow row and its PyTorch twin have the same number of trainable parameters, the bench's evidence that
 * they are the same architecture. A ratio between different networks means nothing, so a mismatch withholds it.
 */
export function parameterCountCheck(micflow: number, torch: number): { same: true } | { same: false; message: string } {
  if (micflow === torch) return { same: true };
  return {
    same: false,
    message: `parameter counts differ: micflow ${micflow.toLocaleString('en-US')} vs PyTorch ${torch.toLocaleString('en-US')} (not the same network; no ratio)`,
  };
}

/** Live tensors and resident memory after one training step. */
export interface FlatnessSample {
  step: number;
  liveTensors: number;
  rssMb: number;
}

export interface FlatnessVerdict {
  flat: boolean;
  /** Empty when flat; otherwise one line per kind of growth. */
  problems: string[];
}

/** The steps at which the flatness check samples: 1, 10, half-way and the last (those within 1..steps, no repeats). */
export function flatnessCheckpoints(steps: number): number[] {
  return [...new Set([1, 10, Math.round(steps / 2), steps])].filter((s) => s >= 1 && s <= steps).sort((a, b) => a - b);
}

/**
 * Judges samples taken after training steps (ascending step). Live tensors must not change at all after the first
 * sample (the first step creates the optimiser's moment variables, then every step must free what it made). Resident
 * memory may settle while buffer pools and caches fill, so it is judged from the second sample (step 10) on: growth of
 * more than `rssToleranceFraction` of that value and more than `rssToleranceMb` counts as growth.
 */
export function flatnessVerdict(samples: readonly FlatnessSample[], rssToleranceFraction = 0.05, rssToleranceMb = 64): FlatnessVerdict {
  const problems: string[] = [];
  if (samples.length < 2) return { flat: false, problems: ['fewer than two samples: run at least 2 steps'] };
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (samples.some((s) => s.liveTensors !== first.liveTensors)) {
    problems.push(
      `live tensors change: ${samples.map((s) => `${s.liveTensors} at step ${s.step}`).join(', ')} ` +
        `(${last.liveTensors - first.liveTensors >= 0 ? '+' : ''}${last.liveTensors - first.liveTensors} over ${last.step - first.step} steps)`,
    );
  }
  const settled = samples[1];
  const growth = last.rssMb - settled.rssMb;
  if (growth > rssToleranceMb && growth > rssToleranceFraction * settled.rssMb) {
    problems.push(`RSS grows ${growth.toFixed(0)} MB from step ${settled.step} (${settled.rssMb.toFixed(0)} MB) to step ${last.step} (${last.rssMb.toFixed(0)} MB)`);
  }
  return { flat: problems.length === 0, problems };
}

/** '0.92' for one ratio; '0.92 (0.85–1.10, 3 pairs)' for several: their median, then their range and count. */
export function ratioSummary(ratios: readonly number[]): string {
  const middle = median(ratios);
  if (middle === undefined) return '-';
  if (ratios.length === 1) return middle.toFixed(2);
  return `${middle.toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}, ${ratios.length} pairs)`;
}

/**
 * Whether micflow's and PyTorch's values of the same loss on the same inputs agree within a relative tolerance (of
 * the larger magnitude), the bench's evidence that both sides compute the same thing. A ratio between different
 * computations means nothing, so a mismatch withholds it.
 */
export function lossValueCheck(
  micflow: number,
  torch: number,
  relativeTolerance = 1e-4,
): { same: boolean; relative: number; message: string } {
  const scale = Math.max(Math.abs(micflow), Math.abs(torch));
  const relative = scale === 0 ? 0 : Math.abs(micflow - torch) / scale;
  const same = Number.isFinite(micflow) && Number.isFinite(torch) && relative <= relativeTolerance;
  const shown = `micflow ${micflow.toPrecision(8)} vs PyTorch ${torch.toPrecision(8)}, relative difference ${relative.toExponential(1)}`;
  return same
    ? { same, relative, message: `agree (${shown})` }
    : { same, relative, message: `loss values differ: ${shown} > ${relativeTolerance.toExponential(0)} (not the same loss; no ratio)` };
}

/**
 * The 1-minute load average (os.loadavg()[0]) just before one micflow/PyTorch pair started (before the micflow child)
 * and just after it ended (after the PyTorch run; after the micflow child without --vs-torch). "before" is the other
 * work on the machine; "after" also holds the pair's own threads, which the average takes about a minute to show.
 */
export interface PairLoad {
  before: number;
  after: number;
  /**
   * Cores kept busy by other processes during the pair, on average (see {@link otherCores}); absent where /proc is
   * not readable. Unlike the load average it leaves out the bench's own processes, including the pairs before this one.
   */
  otherCores?: number;
}

/** Clock ticks from /proc/stat's first line (all CPUs) and from /proc/self/stat (this process and its waited-for children). */
export interface CpuSample {
  /** user + nice + system + idle + iowait + irq + softirq + steal. */
  total: number;
  /** total − idle − iowait: time any process (or another guest: steal) had a CPU. */
  busy: number;
  /** utime + stime + cutime + cstime of the bench's own process: its children's once they have been waited for. */
  own: number;
}

/** A {@link CpuSample} from the text of /proc/stat and /proc/self/stat; undefined when either does not parse. */
export function parseCpuSample(procStat: string, selfStat: string): CpuSample | undefined {
  const cpu = /^cpu\s+(.*)$/m.exec(procStat)?.[1].trim().split(/\s+/).map(Number);
  // Fields after the command name, which is in parentheses and may hold spaces: field 3 (state) is index 0.
  const fields = selfStat.slice(selfStat.lastIndexOf(')') + 1).trim().split(/\s+/).map(Number);
  if (!cpu || cpu.length < 8 || cpu.slice(0, 8).some((v) => !Number.isFinite(v)) || fields.length < 15) return undefined;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = cpu;
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  const own = fields[11] + fields[12] + fields[13] + fields[14];
  return Number.isFinite(own) ? { total, busy: total - idle - iowait, own } : undefined;
}

/**
 * Cores busy with other work between two samples: (Δbusy − Δown) / Δtotal × cores, at least 0. Δown holds the
 * bench and the children it ran in between (their CPU time is added to its own once they exit), so what is left is
 * the rest of the machine (and steal, time other guests took from this VM).
 */
export function otherCores(before: CpuSample, after: CpuSample, cores: number): number | undefined {
  const total = after.total - before.total;
  if (!(total > 0)) return undefined;
  return Math.max(0, ((after.busy - before.busy - (after.own - before.own)) / total) * cores);
}

/** Ratios measured at a load average above this, before or after their pair, are flagged. */
export const LOAD_FLAG_THRESHOLD = 1;

/**
 * '' when every pair ran at a load average of at most `threshold` before and after it; otherwise a mark naming the
 * highest load above it, preferring "before" (other work) to "after" (which includes the pair itself):
 * '⚠ load 1.4 before', and with several pairs how many were above: '⚠ load 1.9 after (2 of 3 pairs)'.
 */
export function loadFlag(loads: readonly PairLoad[], threshold = LOAD_FLAG_THRESHOLD): string {
  const high = loads.filter((l) => l.before > threshold || l.after > threshold);
  if (high.length === 0) return '';
  const befores = high.filter((l) => l.before > threshold).map((l) => l.before);
  const [value, side] = befores.length ? [Math.max(...befores), 'before'] : [Math.max(...high.map((l) => l.after)), 'after'];
  return `⚠ load ${value.toFixed(1)} ${side}${loads.length > 1 ? ` (${high.length} of ${loads.length} pairs)` : ''}`;
}

/** A ratio cell with its load mark: '0.92 ⚠ load 1.4 before', or the ratio alone; '-' stays '-'. */
export function ratioWithLoadFlag(ratio: string, loads: readonly PairLoad[], threshold = LOAD_FLAG_THRESHOLD): string {
  const flag = ratio === '-' ? '' : loadFlag(loads, threshold);
  return flag ? `${ratio} ${flag}` : ratio;
}

/** '0.4→1.3' per pair, in run order, with the other work's cores when known: '0.4→1.3 (others 0.2), 1.1→1.8'; '-' for none. */
export function formatPairLoads(loads: readonly PairLoad[]): string {
  const one = (l: PairLoad) => `${l.before.toFixed(1)}→${l.after.toFixed(1)}${l.otherCores === undefined ? '' : ` (others ${l.otherCores.toFixed(1)})`}`;
  return loads.length ? loads.map(one).join(', ') : '-';
}

/**
 * The footnote under a table with flagged ratios. Which way load moves a ratio is not settled: the README's
 * Performance section (and the CHANGELOG's earlier UNet2D ratios, 0.92 at load ≈3.5 and 1.46 at ≈6) record micflow
 * losing more than PyTorch under load, so the note says the ratio is not comparable rather than which way it errs.
 */
export function loadFootnote(threshold = LOAD_FLAG_THRESHOLD): string {
  return (
    `⚠ load X before/after: the 1-minute load average was above ${threshold} before or after that micflow/PyTorch pair, ` +
    'so the ratio is not comparable with quiet ones: load slows the two sides by different amounts (the measurements in ' +
    "the README's Performance section had micflow losing more, i.e. a higher ratio under load; it is not measured here " +
    'which way this pair erred). Both load figures count the bench\'s own threads too ("after" this pair\'s, "before" the ' +
    "decay of the pairs just run: the average takes about a minute to forget them); \"others\" is the cores other " +
    'processes kept busy during the pair.'
  );
}
