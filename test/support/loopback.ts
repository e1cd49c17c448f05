import { createServer } from 'node:net';

/**
 * Helpers for tests (and the queue bench) that start a service on loopback: a free port to give it, and a poll that
 * waits for it to reach a state.
 */

/** A loopback port nobody listens on right now (the OS picks it; a service started next can take it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Polls `check` every `pollMs` until it returns true, or fails naming `what` after `seconds`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, seconds = 120, pollMs = 100): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`not within ${seconds} s: ${what}`);
}
