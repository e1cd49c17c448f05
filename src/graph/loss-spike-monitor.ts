/**
 * Watches the losses optimisers minimise for a run that is blowing up without (yet) producing NaN: a loss above
 * `factor` × the median of its last `window` values for `ticks` ticks in a row is reported once, then not again until
 * it has come back down.
 */
export class LossSpikeMonitor {
  private readonly history = new Map<string, number[]>();
  private readonly above = new Map<string, number>();
  private readonly reported = new Set<string>();

  constructor(
    readonly window = 50,
    readonly factor = 10,
    readonly ticks = 5,
  ) {}

  /** Records this tick's losses (by key); returns a message for each loss that has just been high for `ticks` ticks. */
  observe(losses: Readonly<Record<string, number>>): Array<{ key: string; message: string }> {
    const found: Array<{ key: string; message: string }> = [];
    for (const [key, value] of Object.entries(losses)) {
      const history = this.history.get(key) ?? [];
      const median = history.length >= Math.min(10, this.window) ? medianOf(history) : undefined;
      const high = median !== undefined && median > 0 && value > this.factor * median;
      const count = high ? (this.above.get(key) ?? 0) + 1 : 0;
      this.above.set(key, count);
      if (!high) this.reported.delete(key);
      if (count >= this.ticks && !this.reported.has(key)) {
        this.reported.add(key);
        found.push({
          key,
          message: `loss "${key}" has been above ${this.factor}× its running median (${median!.toPrecision(3)}) for ${count} ticks (now ${value.toPrecision(3)}); the learning rate may be too high`,
        });
      }
      // High values do not enter the median, so a sustained blow-up stays measured against the values before it.
      if (!high) {
        history.push(value);
        if (history.length > this.window) history.shift();
      }
      this.history.set(key, history);
    }
    return found;
  }
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
