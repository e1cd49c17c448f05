import { Redis } from 'ioredis';
import { MicflowError } from '../errors/micflow-error.js';

/** The queue every experiment's jobs go to (one queue; a job's id starts with its experiment's). */
export const EXPERIMENT_QUEUE = 'micflow-runs';
/** How many times a job runs before it counts as failed (a worker killed mid-job does not use one up: it stalls). */
export const JOB_ATTEMPTS = 4;

/**
 * A Redis client for `redis://[user:password@]host:port[/db]` (or rediss://), naming the flag when the URL is not one.
 * BullMQ is given constructed clients (under native ES modules it cannot load ioredis itself).
 */
export function redisClientOf(url: string): Redis {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MicflowError('invalid-argument', `--queue ${url}: expected redis://HOST:PORT`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new MicflowError('invalid-argument', `--queue ${url}: expected redis://HOST:PORT`);
  // maxRetriesPerRequest null: BullMQ's blocking commands wait as long as they need (BullMQ requires it).
  return new Redis(url, { maxRetriesPerRequest: null });
}
