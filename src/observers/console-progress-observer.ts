import type { Observer } from 'rxjs';
import type { RunEvent } from '../events/run-event.js';

export interface ConsoleProgressOptions {
  /** Where progress and diagnostics go; defaults to stderr, so stdout holds only results. */
  readonly stream?: NodeJS.WriteStream;
  /** Where the final evaluation tables go; defaults to stdout (`npm run pipeline -- x > results.txt` keeps them). */
  readonly tableStream?: NodeJS.WriteStream;
  /** Redraw one line in place (TTY) or print a line every `lineEvery` iterations (logs, CI). */
  readonly interactive?: boolean;
  readonly lineEvery?: number;
}

/**
 * A progress bar with the training loss terms (`train:`), the latest validation score per validating node (`valid:`,
 * with the best so far), seconds per iteration and ETA; validation results as full lines; evaluation tables on the
 * table stream (stdout), everything else on the progress stream (stderr).
 */
export class ConsoleProgressObserver implements Observer<RunEvent> {
  private readonly stream: NodeJS.WriteStream;
  private readonly tableStream: NodeJS.WriteStream;
  /** Latest and best mean foreground Dice per validating node. */
  private readonly validation = new Map<string, { latest: number; best: number; bestIteration: number }>();
  private readonly interactive: boolean;
  private readonly lineEvery: number;
  private recentSeconds: number[] = [];
  private lineOpen = false;

  constructor(options: ConsoleProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tableStream = options.tableStream ?? process.stdout;
    this.interactive = options.interactive ?? Boolean(this.stream.isTTY);
    this.lineEvery = options.lineEvery ?? 25;
  }

  next(event: RunEvent): void {
    switch (event.type) {
      case 'run-started':
        this.line(`micflow: ${event.backendReason}`);
        this.line(`run ${event.pipeline}: ${event.iterations} iterations, seed ${event.seed}${event.runDirectory ? `, writing ${event.runDirectory}` : ''}`);
        break;
      case 'iteration': {
        this.recentSeconds.push(event.seconds);
        if (this.recentSeconds.length > 20) this.recentSeconds.shift();
        const perIteration = this.recentSeconds.reduce((a, b) => a + b, 0) / this.recentSeconds.length;
        const eta = perIteration * (event.iterations - event.iteration);
        const width = 24;
        const filled = Math.round((width * event.iteration) / event.iterations);
        const terms = Object.entries(event.terms)
          .map(([k, v]) => `${k} ${v.toFixed(4)}`)
          .join('  ');
        const feeders = Object.entries(event.epochs);
        const epochs = feeders.length === 1 ? `epoch ${feeders[0][1]}` : feeders.map(([name, e]) => `${name} epoch ${e}`).join(', ');
        const validated = [...this.validation].map(
          ([node, v]) => `${this.validation.size > 1 ? `${node} ` : ''}${v.latest.toFixed(4)} (best ${v.best.toFixed(4)} @${v.bestIteration})`,
        );
        const scores = validated.length ? `  |  valid: ${validated.join('  ')}` : '';
        const text = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${event.iteration}/${event.iterations}  ${epochs ? `${epochs}  ` : ''}train: ${terms}${scores}  ${perIteration.toFixed(2)} s/it  ETA ${formatDuration(eta)}`;
        if (this.interactive) {
          this.stream.write(`\r\x1b[2K${text}`);
          this.lineOpen = true;
        } else if (event.iteration % this.lineEvery === 0 || event.iteration === 1 || event.iteration === event.iterations) {
          this.line(text);
        }
        break;
      }
      case 'validation': {
        const previous = this.validation.get(event.node);
        const better = !previous || event.meanForegroundDice > previous.best;
        this.validation.set(event.node, {
          latest: event.meanForegroundDice,
          best: better ? event.meanForegroundDice : previous.best,
          bestIteration: better ? event.iteration : previous.bestIteration,
        });
        this.line(
          `${event.node} @${event.iteration}: mean foreground Dice ${event.meanForegroundDice.toFixed(4)}${event.best ? ' (best)' : ''}  ` +
            event.classNames.map((n, k) => `${n} ${event.classDice[k].toFixed(3)}`).join('  '),
        );
        break;
      }
      case 'checkpoint':
        break;
      case 'evaluation':
        this.endLine();
        this.tableStream.write(`${event.node}: ${event.cases} cases, weights ${event.checkpoint}\n`);
        this.tableStream.write(`${formatEvaluationTable(event.classNames, event.classDice, event.classDiceStd, event.meanForegroundDice, event.postprocessed)}\n`);
        if (event.tablePath) this.tableStream.write(`per-case table: ${event.tablePath}\n`);
        if (event.postprocessed?.tablePath) this.tableStream.write(`per-case table after ${event.postprocessed.mode}: ${event.postprocessed.tablePath}\n`);
        break;
      case 'run-resumed':
        this.line(`resumed from ${event.checkpoint} after iteration ${event.iteration} of ${event.iterations}`);
        break;
      case 'warning':
        this.line(`warning @${event.iteration}: ${event.message}`);
        break;
      case 'early-stopped':
        this.line(`${event.node} @${event.iteration}: ${event.message}`);
        break;
      case 'run-interrupted':
        this.line(`interrupted after iteration ${event.iteration} of ${event.iterations} (${event.reason})${event.checkpoint ? `; state saved to ${event.checkpoint}` : ''}`);
        break;
      case 'run-finished':
        this.line(`finished ${event.iterations} iterations in ${formatDuration(event.seconds)}`);
        break;
    }
  }

  error(): void {
    this.endLine();
  }

  complete(): void {
    this.endLine();
  }

  private line(text: string): void {
    this.endLine();
    this.stream.write(`${text}\n`);
  }

  private endLine(): void {
    if (this.lineOpen) {
      this.stream.write('\n');
      this.lineOpen = false;
    }
  }
}

/**
 * The evaluation's Dice per class as a text table; with `postprocessed` (EvaluateSegmentation's `postprocess`) a second
 * column "Dice +LCC" holds the scores after post-processing, and a line under the table says which.
 */
export function formatEvaluationTable(
  names: readonly string[],
  mean: readonly number[],
  std: readonly number[],
  meanForeground: number,
  postprocessed?: { readonly mode: string; readonly classDice: readonly number[]; readonly classDiceStd: readonly number[]; readonly meanForegroundDice: number },
): string {
  const width = Math.max(...names.map((n) => n.length), 'mean foreground'.length);
  const cell = (m: number, s: number) => `${m.toFixed(4)} ± ${s.toFixed(4)}`;
  if (!postprocessed) {
    const rows = names.map((n, k) => `  ${n.padEnd(width)}  ${cell(mean[k], std[k])}`);
    return [`  ${'class'.padEnd(width)}  Dice`, ...rows, `  ${'mean foreground'.padEnd(width)}  ${meanForeground.toFixed(4)}`].join('\n');
  }
  const column = cell(0, 0).length;
  const rows = names.map((n, k) => `  ${n.padEnd(width)}  ${cell(mean[k], std[k])}  ${cell(postprocessed.classDice[k], postprocessed.classDiceStd[k])}`);
  return [
    `  ${'class'.padEnd(width)}  ${'Dice'.padEnd(column)}  Dice +LCC`,
    ...rows,
    `  ${'mean foreground'.padEnd(width)}  ${meanForeground.toFixed(4).padEnd(column)}  ${postprocessed.meanForegroundDice.toFixed(4)}`,
    `  (+LCC: ${postprocessed.mode})`,
  ].join('\n');
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  if (h) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  if (m) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}
