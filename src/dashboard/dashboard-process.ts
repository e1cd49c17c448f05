import { fork } from 'node:child_process';
import { join } from 'node:path';
import { MicflowError, type MicflowErrorKind } from '../errors/micflow-error.js';
import type { DashboardServerOptions } from './dashboard-server.js';

export interface DashboardProcess {
  readonly url: string;
  /** Stops the server and waits for its process to end. */
  close(): Promise<void>;
  /** Settles when the process ends, however it ends. */
  readonly exited: Promise<void>;
}

/**
 * Starts {@link startDashboardServer} in a child process (see dashboard-process-entry.ts) and resolves once it
 * listens, with its address; a server that cannot start (port in use, a host without a token) rejects with its
 * message before anything else happens.
 */
export function startDashboardProcess(options: DashboardServerOptions): Promise<DashboardProcess> {
  const child = fork(join(import.meta.dirname, 'dashboard-process-entry.ts'), [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('message', (message: { url?: string; error?: string; kind?: MicflowErrorKind }) => {
      if (message.url === undefined) {
        reject(new MicflowError(message.kind ?? 'invalid-argument', message.error ?? 'the dashboard did not start'));
        return;
      }
      resolve({
        url: message.url,
        exited,
        close: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.once('exit', (code, signal) => reject(new MicflowError('invalid-argument', `the dashboard process ended before it listened (${signal ?? `exit code ${code}`})`)));
  });
}
