/**
 * Least-recently-used cache of decoded cases under a byte budget: a list of large 3D volumes need not fit in memory,
 * and the cases read most recently (the ones an epoch is likely to revisit soonest when it does not fit) stay.
 * Entries are promises, so concurrent reads of one case share a single decode; a failed decode is not kept.
 */
export class DecodedCaseCache<T> {
  private readonly entries = new Map<number, { value: Promise<T>; bytes: number }>();
  private total = 0;

  constructor(
    private readonly budgetBytes: number,
    private readonly sizeOf: (value: T) => number,
  ) {}

  /** Bytes held by decoded entries. */
  get bytes(): number {
    return this.total;
  }

  /** Indices held, least recently used first. */
  get keys(): number[] {
    return [...this.entries.keys()];
  }

  /** The cached value for `key`, or the one `load` produces (cached if it fits the budget). */
  get(key: number, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    const value = load();
    if (this.budgetBytes <= 0) return value;
    const entry = { value, bytes: 0 };
    this.entries.set(key, entry);
    value.then(
      (decoded) => {
        if (this.entries.get(key) !== entry) return;
        entry.bytes = this.sizeOf(decoded);
        this.total += entry.bytes;
        if (entry.bytes > this.budgetBytes) this.remove(key);
        for (const [other] of this.entries) {
          if (this.total <= this.budgetBytes) break;
          if (other !== key) this.remove(other);
        }
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return value;
  }

  private remove(key: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.total -= entry.bytes;
    this.entries.delete(key);
  }
}
