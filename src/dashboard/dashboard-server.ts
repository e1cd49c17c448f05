import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve, sep } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { MicflowError } from '../errors/micflow-error.js';
import { OVERLAY_CLASS_COLOURS } from '../images/overlay-class-colours.js';
import { listedRunOf } from '../run/list-runs.js';
import { checkDashboardPaths, discoverDashboardRuns, type DashboardRun } from './dashboard-runs.js';
import { JsonlFileFeed } from './jsonl-file-feed.js';

export interface DashboardServerOptions {
  /** Run directories, or folders of runs (see {@link discoverDashboardRuns}). */
  readonly paths: readonly string[];
  /** Address to listen on. Default 127.0.0.1 (this machine only); any other address needs a token. */
  readonly host?: string;
  /** Port; default {@link DEFAULT_DASHBOARD_PORT}; 0 picks a free one. */
  readonly port?: number;
  /** A secret every request must carry (`?token=` or `Authorization: Bearer`); required off loopback. */
  readonly token?: string;
  /** How often the metrics files are read for new lines. */
  readonly pollMilliseconds?: number;
}

export interface DashboardServer {
  /** The page's address, with the token when there is one. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export const DEFAULT_DASHBOARD_PORT = 6080;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const MINIMUM_TOKEN_LENGTH = 16;

const require = createRequire(import.meta.url);
const clientFolder = join(import.meta.dirname, 'client');
const uplotFolder = join(require.resolve('uplot/package.json'), '..', 'dist');

/** What the page loads, by path: all served from this machine (no CDN), read once at start. */
function assets(): Map<string, { type: string; body: Buffer }> {
  const file = (path: string, type: string) => ({ type, body: readFileSync(path) });
  return new Map([
    ['/', file(join(clientFolder, 'index.html'), 'text/html; charset=utf-8')],
    ['/assets/dashboard.js', file(join(clientFolder, 'dashboard.js'), 'text/javascript; charset=utf-8')],
    ['/assets/dashboard.css', file(join(clientFolder, 'dashboard.css'), 'text/css; charset=utf-8')],
    ['/assets/uPlot.iife.min.js', file(join(uplotFolder, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8')],
    ['/assets/uPlot.min.css', file(join(uplotFolder, 'uPlot.min.css'), 'text/css; charset=utf-8')],
  ]);
}

/** Headers on every answer: nothing is cached, and the page may load and connect to this server only. */
const COMMON_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'",
} as const;

/** An overlay path as validation writes it (overlays/<node>/<name>.mfov): anything else is refused. */
const OVERLAY_PATH = /^overlays\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\.mfov$/;

function sameSecret(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Refuses a host off loopback without a token, and a token too short to be a secret (before a run starts). */
export function checkDashboardAccess(options: Pick<DashboardServerOptions, 'host' | 'token'>): void {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host) && options.token === undefined) {
    throw new MicflowError('invalid-argument', `--host ${host}: a dashboard reachable from other machines needs --token SECRET (at least ${MINIMUM_TOKEN_LENGTH} characters)`);
  }
  if (options.token !== undefined && options.token.length < MINIMUM_TOKEN_LENGTH) {
    throw new MicflowError('invalid-argument', `--token: at least ${MINIMUM_TOKEN_LENGTH} characters (got ${options.token.length})`);
  }
}

/**
 * A local web page of one or more runs, live: loss terms, learning rates, validation Dice, timing, memory, progress
 * and validation overlays, streamed to the page with server-sent events as each run's `metrics.jsonl` grows.
 * Listens on 127.0.0.1 unless told otherwise; another address needs a token, and requests for a loopback server must
 * name a loopback host (so a web page elsewhere cannot reach it through DNS rebinding). Images are read from the run
 * directories and sent to the page only.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  checkDashboardPaths(options.paths);
  checkDashboardAccess(options);
  const host = options.host ?? '127.0.0.1';
  const loopback = LOOPBACK.has(host);
  const token = options.token;
  const files = assets();
  const feeds = new Map<string, JsonlFileFeed>();
  const feedOf = (run: DashboardRun) => {
    let feed = feeds.get(run.directory);
    if (!feed) {
      feed = new JsonlFileFeed(join(run.directory, 'metrics.jsonl'), options.pollMilliseconds).start();
      feeds.set(run.directory, feed);
    }
    return feed;
  };
  const runs = () => discoverDashboardRuns(options.paths);
  const runNamed = (id: string | null) => (id === null ? undefined : runs().find((run) => run.id === id));
  let port = options.port ?? DEFAULT_DASHBOARD_PORT;

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://dashboard');
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
      response.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': type, ...extra });
      response.end(body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'text/plain', 'only GET\n');
    if (loopback) {
      const hostHeader = (request.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
      if (!LOOPBACK.has(hostHeader)) return send(421, 'text/plain', 'this dashboard answers to 127.0.0.1 or localhost only\n');
    }
    if (token !== undefined) {
      const bearer = request.headers.authorization?.replace(/^Bearer /, '');
      if (!sameSecret(url.searchParams.get('token') ?? bearer, token)) return send(401, 'text/plain', 'a valid token is needed (the address printed when the dashboard started holds it)\n');
    }
    if (url.pathname === '/favicon.ico') return send(204, 'image/x-icon', '');
    const asset = files.get(url.pathname);
    if (asset) return send(200, asset.type, asset.body);
    if (url.pathname === '/api/config') return send(200, 'application/json', JSON.stringify({ classColours: OVERLAY_CLASS_COLOURS }));
    if (url.pathname === '/api/runs') {
      const listed = runs().map((run) => {
        const status = listedRunOf(run.directory);
        return { id: run.id, status: status.status, pipeline: status.recorded?.pipeline, note: status.note };
      });
      return send(200, 'application/json', JSON.stringify(listed));
    }
    if (url.pathname === '/api/events') {
      const run = runNamed(url.searchParams.get('run'));
      if (!run) return send(404, 'text/plain', `no run ${url.searchParams.get('run')} here\n`);
      return streamEvents(request, response, feedOf(run), url);
    }
    if (url.pathname === '/api/overlay') {
      const run = runNamed(url.searchParams.get('run'));
      const file = url.searchParams.get('file') ?? '';
      if (!run) return send(404, 'text/plain', `no run ${url.searchParams.get('run')} here\n`);
      if (!OVERLAY_PATH.test(file) || file.includes('..')) return send(400, 'text/plain', 'not an overlay path\n');
      const path = resolve(run.directory, file);
      if (!path.startsWith(resolve(run.directory, 'overlays') + sep)) return send(400, 'text/plain', 'not an overlay path\n');
      let body: Buffer;
      try {
        body = readFileSync(path);
      } catch {
        return send(404, 'text/plain', 'no such overlay\n');
      }
      // The file is gzip of the raw planes: the browser inflates it on the way in.
      return send(200, 'application/octet-stream', body, { 'Content-Encoding': 'gzip' });
    }
    return send(404, 'text/plain', 'not found\n');
  };

  const server = createServer(handle);
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new MicflowError('invalid-argument', `port ${port} on ${host} is in use (another dashboard?): choose another with --port`)
          : new MicflowError('invalid-argument', `the dashboard cannot listen on ${host}:${port}: ${error.message}`),
      );
    });
    server.listen(port, host, () => resolveListen());
  });
  const address = server.address();
  if (address && typeof address === 'object') port = address.port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`,
    port,
    close: async () => {
      for (const feed of feeds.values()) feed.stop();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/**
 * Server-sent events of one run: each metrics line as a message whose id is its line index, from the line after
 * `Last-Event-ID` (a reconnecting page) or `?from=` (a page that reconnects by itself), so nothing arrives twice.
 */
function streamEvents(request: IncomingMessage, response: ServerResponse, feed: JsonlFileFeed, url: URL): void {
  const lastSeen = Number(request.headers['last-event-id'] ?? Number.NaN);
  const from = Number.isInteger(lastSeen) ? lastSeen + 1 : Math.max(0, Math.floor(Number(url.searchParams.get('from') ?? 0)) || 0);
  response.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
  response.write('retry: 1000\n\n');
  feed.poll();
  const write = (line: string, index: number) => response.write(`id: ${index}\ndata: ${line}\n\n`);
  for (let index = from; index < feed.lines.length; index++) write(feed.lines[index], index);
  const stopLines = feed.onLine(write);
  const stopResets = feed.onReset(() => response.write('event: reset\ndata: {}\n\n'));
  const heartbeat = setInterval(() => response.write(': still here\n\n'), 15_000);
  heartbeat.unref();
  request.on('close', () => {
    stopLines();
    stopResets();
    clearInterval(heartbeat);
  });
}
