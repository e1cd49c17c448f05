import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MicflowError, type MicflowErrorKind } from '../../errors/micflow-error.js';
import type { DecodeExpectations, DecodedCase } from './decode-case.js';
import type { DatasetRow } from './dataset-list.js';
import type { DecodeRequest, DecodeResponse } from './decode-worker.js';

/**
 * Decodes dataset rows in worker threads, so reading and converting images (PNG unfiltering, type conversion, label
 * checks) does not run on the thread that trains. Each request goes to the worker with the fewest pending ones; decoded
 * arrays come back by transferring their buffers. Workers are unref'd (they never keep the process alive) and end on
 * {@link close}.
 */
export class DecodeWorkerPool {
  private readonly workers: Array<{ worker: Worker; pending: Map<number, { resolve: (d: DecodedCase) => void; reject: (e: Error) => void }> }>;
  private nextId = 0;

  constructor(size: number) {
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(workerEntry());
      const pending = new Map<number, { resolve: (d: DecodedCase) => void; reject: (e: Error) => void }>();
      worker.on('message', (response: DecodeResponse) => {
        const waiter = pending.get(response.id);
        if (!waiter) return;
        pending.delete(response.id);
        if ('error' in response) waiter.reject(new MicflowError((response.error.kind ?? 'invalid-data') as MicflowErrorKind, response.error.message));
        else waiter.resolve(response.decoded);
      });
      worker.on('error', (error) => {
        for (const waiter of pending.values()) waiter.reject(new MicflowError('stage-failed', `a decode worker failed: ${error.message}`));
        pending.clear();
      });
      worker.unref();
      return { worker, pending };
    });
  }

  /** Decodes one row in the least busy worker. */
  decode(row: DatasetRow, expectations: DecodeExpectations): Promise<DecodedCase> {
    const target = this.workers.reduce((best, w) => (w.pending.size < best.pending.size ? w : best));
    const id = this.nextId++;
    return new Promise<DecodedCase>((resolve, reject) => {
      target.pending.set(id, { resolve, reject });
      const request: DecodeRequest = { id, row, expectations };
      target.worker.postMessage(request);
    });
  }

  /** Ends the workers; pending decodes fail. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
  }
}

/**
 * The worker's entry: the compiled decode-worker.js, or — when running from TypeScript sources (tsx, vitest) — a
 * small ES module that registers tsx's loader in the worker and then imports decode-worker.ts (Node 20 does not apply
 * the parent's loader hooks, nor an --import in execArgv, to a worker's own entry).
 */
function workerEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./decode-worker.js', import.meta.url);
  // tsx's ESM API entry, as its package.json exports it for `import` (require.resolve would give the CommonJS one).
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const exported = (JSON.parse(readFileSync(tsxPackage, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'].import.default;
  const tsxApi = pathToFileURL(join(dirname(tsxPackage), exported)).href;
  const entry = new URL('./decode-worker.ts', import.meta.url).href;
  const code = `import { register } from ${JSON.stringify(tsxApi)};\nregister();\nawait import(${JSON.stringify(entry)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
