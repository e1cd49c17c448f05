import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** The project root and the MIME types the test server gives. */
export const projectRoot = join(import.meta.dirname, '../..');
const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };

/**
 * Builds the browser bundle (as npm run build:browser does; about 3 s) into a fresh temporary folder of its own, so
 * that test files building it at the same time do not delete each other's files, and returns the folder.
 */
export function buildBrowserBundle(): string {
  const folder = mkdtempSync(join(tmpdir(), 'micflow-bundle-'));
  execFileSync(process.execPath, [join(projectRoot, 'scripts', 'build-browser.mjs'), '--out', folder], { cwd: projectRoot, stdio: 'pipe' });
  return folder;
}

/** Removes a folder buildBrowserBundle made. */
export function removeBrowserBundle(folder: string | undefined): void {
  if (folder) rmSync(folder, { recursive: true, force: true });
}

/**
 * Serves the bundle folder `bundle` (from buildBrowserBundle) at / and fixtures/ at /fixtures/ on loopback, on a free
 * port: the tab fetches the fixture files into memory as the folder picker would give them (nothing goes the other way).
 * `data` is a folder of a test's own served at /data/; `served` collects every path asked for, in order.
 */
export async function serveBundle(bundle: string, options: { data?: string; served?: string[] } = {}): Promise<{ url: string; server: Server }> {
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    options.served?.push(path);
    const file = path.startsWith('/fixtures/')
      ? join(projectRoot, path)
      : options.data && path.startsWith('/data/')
        ? join(options.data, path.slice('/data/'.length))
        : join(bundle, path === '/' ? 'index.html' : path);
    try {
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`, server };
}

/** Debian's chromium, which the browser tests drive through playwright-core (no browser download). */
export const CHROMIUM = '/usr/bin/chromium';

/** Launches Debian's chromium headless with WebGL on ANGLE's SwiftShader (no GPU here). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'] });
}
