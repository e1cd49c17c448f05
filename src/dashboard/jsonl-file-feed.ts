import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** Called with each new complete line of the file, and its index (0-based, stable for the file's life). */
export type JsonlLineListener = (line: string, index: number) => void;

/**
 * Follows a JSON-lines file as it grows (a run's `metrics.jsonl`): polls its size, reads what was appended and hands
 * every complete line to the listeners, keeping all lines so a new listener can start from any index. A half-written
 * last line waits for its newline. A file that does not exist yet is waited for; one that shrinks (rewritten by a new
 * run in the same folder) starts over from its first line, with `reset` listeners told.
 */
export class JsonlFileFeed {
  readonly lines: string[] = [];
  private readonly listeners = new Set<JsonlLineListener>();
  private readonly resetListeners = new Set<() => void>();
  private offset = 0;
  private partial = Buffer.alloc(0);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly file: string,
    private readonly pollMilliseconds = 250,
  ) {}

  /** Reads what is there now and starts polling. */
  start(): this {
    this.poll();
    this.timer ??= setInterval(() => this.poll(), this.pollMilliseconds);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Listens for lines from now on; returns the function that stops listening. */
  onLine(listener: JsonlLineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onReset(listener: () => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  /** Reads whatever was appended since the last poll (also called by the timer). */
  poll(): void {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return; // not there yet, or removed (a run that failed before its first iteration): keep what was read
    }
    if (size < this.offset) {
      this.offset = 0;
      this.partial = Buffer.alloc(0);
      this.lines.length = 0;
      for (const listener of this.resetListeners) listener();
    }
    if (size === this.offset) return;
    const chunk = Buffer.alloc(size - this.offset);
    let descriptor: number;
    try {
      descriptor = openSync(this.file, 'r');
    } catch {
      return;
    }
    let read = 0;
    try {
      while (read < chunk.length) {
        const n = readSync(descriptor, chunk, read, chunk.length - read, this.offset + read);
        if (n === 0) break;
        read += n;
      }
    } finally {
      closeSync(descriptor);
    }
    this.offset += read;
    let text = Buffer.concat([this.partial, chunk.subarray(0, read)]);
    let newline = text.indexOf(10);
    while (newline >= 0) {
      const line = text.toString('utf8', 0, newline);
      text = text.subarray(newline + 1);
      if (line.trim()) {
        const index = this.lines.push(line) - 1;
        for (const listener of this.listeners) listener(line, index);
      }
      newline = text.indexOf(10);
    }
    this.partial = Buffer.from(text);
  }
}
